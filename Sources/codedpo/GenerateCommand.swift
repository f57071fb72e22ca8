import ArgumentParser
import CodeDPOKit
import Foundation

extension GenerationStage: ExpressibleByArgument {}
extension GenerationAPI: ExpressibleByArgument {}

struct GenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate problems from seeds, or solutions and tests for problems, with any OpenAI-compatible endpoint.",
        discussion: """
            STAGE is problems (from seeds: the model names the seed's concept and writes a new, \
            self-contained task with a function signature and docstring), solutions (-n per problem) or \
            tests (-n answers per problem, each split into single asserts that call the entry point and \
            compile). Works with vLLM, SGLang, llama.cpp's server, Ollama and hosted APIs: --api chat \
            (/v1/chat/completions, instruction-tuned models) or completion (/v1/completions, base models).

            Every request and answer is a row of `generations` / `generation_outputs` (request body, \
            template, parameters, status, attempts, tokens, latency; never the API key, which is read \
            from the environment variable named by --api-key-env). What parses lands in problems, \
            solutions or tests with the same identity rules as `import` (one row per distinct \
            normalized code, one provenance row per sample, sample_count), each sample linked to its \
            generation. Unparseable answers are stored with the reason and counted.

            -n is the number of samples wanted per problem (or seed) from this --model: samples already \
            stored count, so running the same command again (after a kill, a failure or a Ctrl-C) asks \
            only for the missing ones, and never stores anything twice. Requests ask up to --max-n \
            samples at once (the API's n); a server that ignores n is detected and asked one at a time. \
            Failed requests (after retries with backoff on 429/5xx/timeouts/connection errors, honouring \
            Retry-After) are recorded and the run goes on; run again to retry them.

            Examples:
              codedpo generate problems --from-seeds --endpoint http://127.0.0.1:8000/v1 --model qwen -n 2
              codedpo generate solutions --endpoint http://127.0.0.1:8000/v1 --model qwen -n 15 --temperature 1.5
              codedpo generate tests --endpoint https://api.example.com/v1 --model gpt-x -n 15 --concurrency 16
              codedpo generate solutions --api completion --endpoint http://127.0.0.1:8000 --model base -n 10 --problem HumanEval/0
              codedpo generate tests --endpoint $URL --model m --shard 0/4 --db shard-0.db
              codedpo generate solutions --endpoint $URL --model m --dry-run        # what would be asked
              codedpo generate tests --api chat --print-template > tests.txt        # edit, then: --template tests.txt
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Argument(help: "What to generate: problems, solutions or tests.")
    var stage: GenerationStage

    @Option(name: .long, help: ArgumentHelp("Base URL of the OpenAI-compatible API, e.g. http://127.0.0.1:8000/v1.", discussion: "Default: $OPENAI_BASE_URL."))
    var endpoint: String?

    @Option(name: .long, help: "Model name sent to the endpoint (and recorded with every sample).")
    var model: String?

    @Option(name: .long, help: "API: chat (/chat/completions) or completion (/completions, base models).")
    var api: GenerationAPI = .chat

    @Option(name: [.customShort("n"), .long], help: "Samples per problem (per seed for problems). Default: 15 for solutions and tests, 1 for problems.")
    var samples: Int?

    @Option(name: .long, help: "At most this many samples per request (the API's n); 1 sends one request per sample.")
    var maxN = 16

    @Option(name: .long, help: "Sampling temperature (the paper: 1.5).")
    var temperature = 0.8

    @Option(name: .long, help: "Nucleus sampling top_p (1 sends none).")
    var topP = 0.95

    @Option(name: .long, help: "Most tokens per answer.")
    var maxTokens = 1024

    @Option(name: .long, help: "Sampling seed: request k of a problem is sent with seed + k.")
    var seed: Int?

    @Option(name: .long, help: "A stop sequence (repeatable; default: the template's, e.g. \"\\ndef \" for base models). \\n and \\t are read as escapes.")
    var stop: [String] = []

    @Flag(name: .long, help: "Send no stop sequences at all.")
    var noStop = false

    @Option(name: .long, help: "Requests in flight at once.")
    var concurrency = 4

    @Option(name: .long, help: "Seconds one attempt may take.")
    var timeout = 300.0

    @Option(name: .long, help: "Retries of a request on 408, 429, 5xx, timeouts and connection errors.")
    var retries = 5

    @Option(name: .long, help: "Seconds before the first retry; doubled each time, with jitter (at most 60).")
    var backoff = 1.0

    @Option(name: .long, help: ArgumentHelp("Name of the environment variable holding the API key.", discussion: "Default: OPENAI_API_KEY (no key is sent when it is unset)."))
    var apiKeyEnv: String?

    @Option(name: .long, help: "Prompt template file ({{placeholders}}; for chat, '--- system ---' / '--- user ---' lines split the messages).")
    var template: String?

    @Flag(name: .long, help: "Print the template this stage and API would use, and exit.")
    var printTemplate = false

    @Flag(name: .long, help: "Problems: from the seeds in the database (the only source; may be omitted).")
    var fromSeeds = false

    @Option(name: .long, help: "Problems: only this seed (id; repeatable).")
    var seedID: [Int64] = []

    @Option(name: .long, help: "Solutions and tests: only this problem (external id; repeatable).")
    var problem: [String] = []

    @Option(name: .long, help: "Only problems (p) or, for problems, seeds (s) matching this SQL condition.")
    var `where`: String?

    @Option(name: .long, help: "Only shard I of N (I/N): problems by a hash of their id (as `execute`), seeds by content hash.")
    var shard: String?

    @Option(name: .long, help: "At most this many problems (or seeds), the first in scope.")
    var limit: Int?

    @Flag(name: .long, help: "Count only answers that parsed toward -n, so unparseable ones are asked again.")
    var retryUnparseable = false

    @Option(name: .long, help: "Stop after this many requests in a row failed for good (0: never).")
    var maxFailures = 20

    @Option(name: .long, help: "Generated problems are named PREFIX<entry point>-<hash>.")
    var idPrefix = "gen/"

    @Option(name: .long, help: "Python interpreter used to parse answers (default: python3 on PATH).")
    var python: String?

    @Flag(name: .long, help: "Show what would be requested; send nothing, change nothing.")
    var dryRun = false

    @Flag(name: .long, help: "No progress output.")
    var quiet = false

    @OptionGroup var output: FormatOptions

    var sampleCount: Int { request.sampleCount }

    /// The flags as a library request (the pipeline builds the same from a config).
    var request: GenerateRequest {
        var request = GenerateRequest(stage: stage)
        request.endpoint = endpoint
        request.model = model
        request.api = api
        request.samples = samples
        request.maxN = maxN
        request.temperature = temperature
        request.topP = topP
        request.maxTokens = maxTokens
        request.seed = seed
        request.stop = stop
        request.noStop = noStop
        request.concurrency = concurrency
        request.timeout = timeout
        request.retries = retries
        request.backoff = backoff
        request.apiKeyEnv = apiKeyEnv
        request.template = template
        request.fromSeeds = fromSeeds
        request.seedIDs = seedID
        request.problems = problem
        request.whereSQL = `where`
        request.shard = shard
        request.limit = limit
        request.retryUnparseable = retryUnparseable
        request.maxFailures = maxFailures
        request.idPrefix = idPrefix
        request.python = python
        return request
    }

    func validate() throws {
        try usage { try request.validate(environment: ProcessInfo.processInfo.environment, needsEndpoint: !printTemplate) }
    }

    func run() async throws {
        let request = request
        if printTemplate {
            let template = try request.loadTemplate()
            FileHandle.standardOutput.write(Data(template.text.utf8))
            if !template.text.hasSuffix("\n") { FileHandle.standardOutput.write(Data("\n".utf8)) }
            return
        }
        let options = try request.options(environment: ProcessInfo.processInfo.environment)
        let client = options.client, template = options.template, key = client.apiKey, keyName = request.keyName

        let db = try database.openForWriting()
        if dryRun {
            let (plan, work) = try Generator(db: db, runID: 0, options: options).plan()
            printPlan(plan, requests: work.reduce(0) { $0 + ($1.missing + options.maxN - 1) / options.maxN }, options: options)
            return
        }
        let interrupt = InterruptFlag()
        interrupt.install()
        let progress = ProgressLine(quiet: quiet)
        if !quiet {
            Terminal.note("\(stage.rawValue) from \(client.storedEndpoint) (\(api.rawValue)), model \(client.model), \(sampleCount) per \(stage == .problems ? "seed" : "problem"); template \(template.name)\(key == nil ? "; no API key ($\(keyName) is unset)" : "")")
        }
        let report: GenerateReport
        do {
            report = try await request.run(db: db, argv: CommandLine.arguments, options: options, progress: { state in
                let fraction = state.samplesPlanned > 0 ? Double(state.samplesDone) / Double(state.samplesPlanned) : 1
                let requestRate = state.elapsed > 0 ? Double(state.requestsDone) / state.elapsed : 0
                let tokenRate = state.elapsed > 0 ? Double(state.completionTokens) / state.elapsed : 0
                let sampleRate = state.elapsed > 0 ? Double(state.samplesDone) / state.elapsed : 0
                let eta = sampleRate > 0 ? Double(state.samplesPlanned - state.samplesDone) / sampleRate : .infinity
                var line = "\(ProgressLine.bar(fraction)) \(state.samplesDone)/\(state.samplesPlanned) samples  \(state.requestsDone) requests (\(state.inFlight) in flight)  "
                line += String(format: "%.1f req/s  %.0f tok/s", requestRate, tokenRate)
                line += "  failed \(state.failed)  unparseable \(state.unparseable)  ETA \(ProgressLine.duration(eta))"
                progress.update(line, elapsed: state.elapsed)
            }, note: { message in
                progress.finish()
                Terminal.note(message)
            }, shouldStop: { interrupt.isSet })
        } catch {
            progress.finish()
            throw error
        }
        progress.finish()
        printSummary(report)
        if report.interrupted { throw ExitCode(130) }
        if let reason = report.stoppedBecause {
            throw GenerationError("stopped: \(reason). Check --endpoint, --model and the server, then run the same command again (finished answers are kept).")
        }
    }

    func printPlan(_ plan: GenerationPlan, requests: Int, options: GenerateOptions) {
        let sink = StandardOutput()
        switch output.format {
        case .json: sink.write(plan.json.prettyText + "\n")
        case .jsonl: sink.write(plan.json.text + "\n")
        case .table, .csv:
            let writer = RowWriter(format: output.format, columns: ["what", "count"], sink: sink)
            let unit = stage == .problems ? "seeds" : "problems"
            writer.add([.text("\(unit) in scope"), .integer(Int64(plan.inScope))])
            writer.add([.text("\(unit) complete"), .integer(Int64(plan.complete))])
            writer.add([.text("\(unit) to sample"), .integer(Int64(plan.targetsWithWork))])
            writer.add([.text("samples stored"), .integer(Int64(plan.samplesHave))])
            writer.add([.text("samples to request"), .integer(Int64(plan.samplesMissing))])
            for (reason, count) in plan.skipped.sorted(by: { $0.key < $1.key }) {
                writer.add([.text("skipped: \(reason)"), .integer(Int64(count))])
            }
            writer.finish()
            if output.format == .table {
                sink.write("dry run: would send at least \(requests) request(s) for \(plan.samplesMissing) sample(s) to \(options.client.storedEndpoint) (model \(options.client.model)); nothing was sent or changed\n")
            }
        }
        sink.flush()
    }

    func printSummary(_ report: GenerateReport) {
        let sink = StandardOutput()
        switch output.format {
        case .json: sink.write(report.json.prettyText + "\n")
        case .jsonl: sink.write(report.json.text + "\n")
        case .table, .csv:
            let writer = RowWriter(format: output.format, columns: ["what", "count"], sink: sink)
            let rows: [(String, Int)] = [
                ("requests ok", report.ok), ("requests failed", report.failed), ("HTTP attempts", report.attempts),
                ("samples (choices)", report.choices), ("parsed", report.parsed), ("unparseable", report.unparseable),
                ("new problems", report.added["problems"] ?? 0), ("new solutions", report.added["solutions"] ?? 0),
                ("new tests", report.added["tests"] ?? 0), ("sampled again (merged)", report.merged),
                ("prompt tokens", report.promptTokens), ("completion tokens", report.completionTokens),
            ]
            for (what, count) in rows { writer.add([.text(what), .integer(Int64(count))]) }
            writer.finish()
            if output.format == .table {
                let unit = report.stage == .problems ? "seeds" : "problems"
                if report.plan.samplesMissing == 0 {
                    sink.write("nothing to request: all \(report.plan.inScope) \(unit) in scope have \(sampleCount) sample(s) from \(report.model)\n")
                } else {
                    let rate = report.seconds > 0 ? Double(report.completionTokens) / report.seconds : 0
                    sink.write(String(format: "%@: %d samples for %d %@ in %.1f s (%.0f tok/s)\n", report.stage.rawValue, report.choices,
                                      report.plan.targetsWithWork, unit, report.seconds, rate))
                }
            }
        }
        sink.flush()
        for line in report.firstErrors.prefix(3) { Terminal.note("failed: \(line)") }
        if report.failed > 0 && !report.interrupted && report.stoppedBecause == nil {
            Terminal.note("\(report.failed) request(s) failed (see generations.error); run the same command again to ask for their samples")
        }
        for line in report.firstUnparseable.prefix(3) { Terminal.note("unparseable: \(line)") }
        if report.unparseable > 0 {
            Terminal.note("\(report.unparseable) answer(s) did not parse; they are stored with the reason in generation_outputs.parse_error")
        }
        if report.serverIgnoresN {
            Terminal.note("the endpoint ignores n: pass --max-n 1 next time to skip the first over-asking request per run")
        }
    }
}
