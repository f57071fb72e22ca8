import ArgumentParser
import CodeDPOKit
import Foundation

/// `eval`: one verb, two things measured. `eval rankings` (the default, so
/// `codedpo eval --score-run N` keeps working) holds score runs against ground truth;
/// `eval models` measures models' pass@k on benchmarks.
struct EvalGroupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Measure against ground-truth tests: score runs' rankings, or models' pass@k.",
        discussion: """
            Examples:
              codedpo eval --score-run 3                      # rankings (the default)
              codedpo eval rankings --format json
              codedpo eval models --model gpt-3.5-turbo-1106 --k 1
              codedpo eval models --model base --model tuned --k 1,10 --benchmark HumanEval --efficiency
            """,
        subcommands: [EvalCommand.self, EvalModelsCommand.self],
        defaultSubcommand: EvalCommand.self
    )
}

struct EvalModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "pass@k of models' samples on benchmark problems, per benchmark and test set, stored as an evaluation.",
        discussion: """
            A model's samples are its solutions (solution_sources.model; a solution sampled 3 times \
            counts 3). A sample is correct on the base test set when it passes every base \
            ground-truth test of its problem (the benchmark's own tests, or evalplus base_input), and \
            on the plus set when it passes every ground-truth test (base and plus, as evalplus scores \
            HumanEval+ and MBPP+). pass@k is the unbiased estimator 1 - C(n-c,k)/C(n,k) averaged over \
            problems; the benchmark of a problem is its id before the last "/". Two or more models: \
            the paired difference per problem, with a 95% interval. --efficiency: on problems both \
            models solve, the speedup of one model's correct code over the other's (CPU seconds of \
            the ground-truth verdicts) and the share at least 10% faster.

            Missing ground-truth verdicts are executed first (unless --no-execute). With --endpoint, \
            missing samples are generated first through the generation stage: greedy (temperature 0) \
            when one sample per problem is asked, else --samples at --temperature.

            Examples:
              codedpo eval models --model gpt-3.5-turbo-1106 --k 1
              codedpo eval models --model base --model tuned --k 1,10 --benchmark HumanEval
              codedpo eval models --model m --endpoint http://127.0.0.1:8000/v1 --samples 10 --k 1,10
              codedpo eval models --model base --model tuned --efficiency --format json
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Option(name: .long, help: "A model, as recorded with its solutions (repeatable).")
    var model: [String] = []

    @Option(name: .customLong("k"), help: "k of pass@k: repeatable or comma-separated (default 1).")
    var kValues: [String] = []

    @Option(name: .long, help: "Only this benchmark (the problem id before its last /, e.g. HumanEval); repeatable.")
    var benchmark: [String] = []

    @Flag(name: .long, help: "Also compare the speed of two models' correct solutions.")
    var efficiency = false

    @Option(name: .long, help: "Read (and run) verdicts under this execution config (default: one from --python and --timeout).")
    var config: Int64?

    @Option(name: .long, help: "Python interpreter for ground-truth tests (default: python3 on PATH).")
    var python: String?

    @Option(name: .long, help: "Seconds per ground-truth test.")
    var timeout = 3.0

    @Flag(name: .long, help: "Do not execute missing ground-truth verdicts (they count as failing).")
    var noExecute = false

    @Option(name: .long, help: "Worker processes for ground-truth tests.")
    var jobs = ProcessInfo.processInfo.activeProcessorCount

    @Option(name: .long, help: "Generate missing samples from this OpenAI-compatible endpoint first.")
    var endpoint: String?

    @Option(name: .long, help: "With --endpoint: chat or completion.")
    var api: GenerationAPI = .chat

    @Option(name: .long, help: "With --endpoint: samples per problem (default: the largest k).")
    var samples: Int?

    @Option(name: .long, help: "With --endpoint: temperature (default 0 for one sample, else 0.8).")
    var temperature: Double?

    @Option(name: .long, help: "With --endpoint: the environment variable that holds the API key.")
    var apiKeyEnv = "OPENAI_API_KEY"

    @OptionGroup var output: FormatOptions

    var ks: [Int] { get throws {
        let parts = (kValues.isEmpty ? ["1"] : kValues).flatMap { $0.split(separator: ",") }
        return try parts.map { part in
            guard let k = Int(part.trimmingCharacters(in: .whitespaces)), k >= 1 else { throw ValidationError("--k takes whole numbers >= 1, e.g. --k 1,10") }
            return k
        }
    } }

    func validate() throws {
        if model.isEmpty { throw ValidationError("give at least one --model") }
        _ = try ks
        if timeout <= 0 { throw ValidationError("--timeout must be > 0") }
        if let samples, samples < 1 { throw ValidationError("--samples must be >= 1") }
        if endpoint == nil && (samples != nil || temperature != nil) { throw ValidationError("--samples and --temperature are for --endpoint") }
    }

    func run() async throws {
        var options = ModelEvaluationOptions(models: model)
        options.ks = Array(Set(try ks)).sorted()
        options.benchmarks = benchmark
        options.efficiency = efficiency
        let db = try database.openForWriting()
        let evaluator = ModelEvaluator(db: db)
        if let endpoint { try await generate(db: db, endpoint: endpoint, options: options) }
        try evaluator.check(options)

        let log = RunLog(db)
        let settings: ExecutionSettings
        if let config {
            settings = try ExecutionSettings.load(configID: config, from: db)
        } else {
            var made = ExecutionSettings(interpreter: try PythonInterpreter.resolve(python))
            made.timeout = timeout
            settings = made
        }
        // k against the samples is checked before anything runs or is stored.
        let configID = try config ?? db.int("SELECT id FROM execution_configs WHERE content_hash = ?", SHA256.hex(settings.parameters.text)).map(Int64.init)
        let before = try evaluator.outcomes(options, configID: configID ?? -1)
        if let absent = model.first(where: { name in !before.contains { $0.model == name } }) {
            throw StoreError("model \"\(absent)\" has no samples on the problems in scope (problems with ground-truth tests\(benchmark.isEmpty ? "" : " of " + benchmark.joined(separator: ", "))). Import or generate its samples for them. Nothing was stored.")
        }
        _ = try ModelEvaluationReport.compute(before, ks: options.ks, efficiency: false)

        let report = try log.record(command: "eval models", argv: CommandLine.arguments, parameters: .object([
            ("models", JSON(model)), ("k", .array(options.ks.map { .int(Int64($0)) })), ("benchmarks", JSON(benchmark)),
            ("efficiency", .bool(efficiency)), ("config", JSON(config)),
        ]), summary: { $0.1.json }) { runID -> (Int64, ModelEvaluationReport) in
            let configID = try config ?? settings.configID(in: db, runID: runID).id
            let missing = try evaluator.missingVerdicts(options, configID: configID)
            if missing > 0 && !noExecute {
                var execute = ExecuteOptions(settings: settings)
                execute.testKinds = [.groundTruth]
                execute.jobs = jobs
                execute.problems = try evaluator.problems(options)
                execute.whereSQL = ModelEvaluator.solutionCondition(models: model)
                let progress = ProgressLine()
                Terminal.note("running \(missing) ground-truth verdict(s) under config \(configID) first")
                let executeRun = try log.start(command: "execute", argv: CommandLine.arguments, parameters: .object([
                    ("for", "eval models"), ("config_id", .int(configID)), ("tests", JSON(["ground_truth"])), ("models", JSON(model))]))
                let done = try Executor(db: db, runID: executeRun, options: execute).run(progress: { state in
                    progress.update("\(ProgressLine.bar(Double(state.done) / Double(max(state.planned, 1)))) \(state.done)/\(state.planned) ground-truth verdicts", elapsed: state.elapsed)
                })
                progress.finish()
                try log.finish(executeRun, status: .ok, summary: done.json)
            } else if missing > 0 {
                Terminal.note("\(missing) ground-truth verdict(s) are missing and count as failing: drop --no-execute to run them")
            }
            let report = try ModelEvaluationReport.compute(try evaluator.outcomes(options, configID: configID), ks: options.ks, efficiency: efficiency)
            let id = try db.transaction { try evaluator.store(report, options: options, configID: configID, runID: runID) }
            return (id, report)
        }
        print(report.1, evaluation: report.0, ks: options.ks)
    }

    /// Missing samples through the generation stage, one model at a time.
    func generate(db: Database, endpoint: String, options: ModelEvaluationOptions) async throws {
        let count = samples ?? options.ks.max() ?? 1
        let problems = try ModelEvaluator(db: db).problems(options)
        guard !problems.isEmpty else { throw StoreError("no problems with ground-truth tests to generate samples for: import a benchmark first") }
        for name in model {
            // A model whose samples are all there (imported or generated before) asks for nothing.
            let have = try db.rows("""
                SELECT p.external_id, sum(ss.count) AS samples FROM solution_sources ss JOIN solutions s ON s.id = ss.solution_id
                JOIN problems p ON p.id = s.problem_id WHERE ss.model = ? GROUP BY p.id
                """, name).reduce(into: [String: Int]()) { $0[$1[0].string!] = $1["samples"].int ?? 0 }
            if problems.allSatisfy({ (have[$0] ?? 0) >= count }) { continue }
            var client = ClientSettings(endpoint: endpoint, model: name)
            client.api = api
            client.apiKey = ProcessInfo.processInfo.environment[apiKeyEnv].flatMap { $0.isEmpty ? nil : $0 }
            var generate = GenerateOptions(stage: .solutions, client: client, template: PromptTemplate.builtin(stage: .solutions, api: api))
            generate.samples = count
            generate.temperature = temperature ?? (count == 1 ? 0 : 0.8)
            generate.topP = count == 1 ? nil : 0.95
            generate.problems = problems
            generate.python = python
            let log = RunLog(db)
            let runID = try log.start(command: "generate", argv: CommandLine.arguments, parameters: .object(
                (generate.parameters.objectValue ?? []) + [("for", "eval models"), ("problems", .int(Int64(problems.count)))]))
            let progress = ProgressLine()
            let report: GenerateReport
            do {
                report = try await Generator(db: db, runID: runID, options: generate).run(progress: { state in
                    progress.update("\(ProgressLine.bar(Double(state.samplesDone) / Double(max(state.samplesPlanned, 1)))) \(state.samplesDone)/\(state.samplesPlanned) samples from \(name)", elapsed: state.elapsed)
                }, note: { Terminal.note($0) }, shouldStop: { false })
            } catch {
                progress.finish()
                try? log.finish(runID, status: .failed, error: String(describing: error))
                throw error
            }
            progress.finish()
            try log.finish(runID, status: report.stoppedBecause == nil ? .ok : .failed, error: report.stoppedBecause, summary: report.json)
            if let reason = report.stoppedBecause { throw GenerationError("generating samples from \(name) stopped: \(reason)") }
            Terminal.note("\(name): \(report.choices) new sample(s) for \(report.plan.targetsWithWork) problem(s)")
        }
    }

    func print(_ report: ModelEvaluationReport, evaluation: Int64, ks: [Int]) {
        let sink = StandardOutput()
        if output.format == .json || output.format == .jsonl {
            let json = JSON.object([("evaluation", .int(evaluation))] + (report.json.objectValue ?? []))
            sink.write((output.format == .json ? json.prettyText : json.text) + "\n")
            sink.flush()
            return
        }
        let scores = RowWriter(format: output.format, columns: ["model", "benchmark", "test_set", "problems", "samples"] + ks.map { "pass@\($0)" }, sink: sink)
        for score in report.scores {
            scores.add([.text(score.model), .text(score.benchmark), .text(score.testSet.rawValue), .integer(Int64(score.problems)),
                        .integer(Int64(score.samples))] + score.passAtK.map { .real($0.value) })
        }
        scores.finish()
        if !report.differences.isEmpty {
            sink.write("\n")
            let differences = RowWriter(format: output.format, columns: ["benchmark", "test_set", "k", "a", "b", "problems", "a_minus_b", "ci95_low", "ci95_high"], sink: sink)
            for d in report.differences {
                differences.add([.text(d.benchmark), .text(d.testSet.rawValue), .integer(Int64(d.k)), .text(d.a), .text(d.b),
                                 .integer(Int64(d.difference.problems)), .real(d.difference.mean), .real(d.difference.low), .real(d.difference.high)])
            }
            differences.finish()
        }
        if !report.efficiency.isEmpty {
            sink.write("\n")
            let speed = RowWriter(format: output.format, columns: ["benchmark", "a", "b", "problems_both_solve", "speedup_of_a", "a_10pct_faster", "b_10pct_faster"], sink: sink)
            for e in report.efficiency {
                speed.add([.text(e.benchmark), .text(e.a), .text(e.b), .integer(Int64(e.problems)), .real(e.speedup), .real(e.aFaster), .real(e.bFaster)])
            }
            speed.finish()
        }
        sink.flush()
        Terminal.note("stored as model evaluation \(evaluation) (codedpo query \"SELECT * FROM model_evaluations WHERE id = \(evaluation)\")")
    }
}
