import Foundation

// Typed stage requests from a pipeline step's flags: the keys are the command's flags without
// the dashes (the same names `codedpo <command> --help` lists), so a config reads like the
// commands it stands for. Output flags (format, quiet) are accepted and change nothing here.

extension ImportRequest {
    public init(step: PipelineStep, flags f: StepFlags) throws {
        guard let kindText = step.positional.first, let kind = ImportKind(rawValue: kindText) else {
            throw UsageError("\(f.location): \"kind\" is seeds, problems, solutions or tests")
        }
        self.init(kind: kind, files: Array(step.positional.dropFirst()))
        if let format = try f.choice("format", ImportFormat.self) { options.format = format }
        options.skipBad = try f.bool("skip-bad")
        options.dryRun = try f.bool("dry-run")
        options.promptsFile = try f.string("prompts")
        if let n = try f.int("tests-per-sample") { options.testsPerSample = n }
        options.model = try f.string("model")
        options.testKind = try f.choice("test-kind", TestKind.self)
        options.include = try f.strings("include")
        options.exclude = try f.strings("exclude")
        if let n = try f.int("max-line-bytes") { options.maxLineBytes = n }
        options.python = try f.string("python")
        f.ignore("report-format")
        try f.finish(command: "import")
        try validate()
    }
}

extension GenerateRequest {
    public init(step: PipelineStep, flags f: StepFlags) throws {
        guard let what = step.positional.first, let stage = GenerationStage(rawValue: what) else {
            throw UsageError("\(f.location): \"what\" is problems, solutions or tests")
        }
        self.init(stage: stage)
        endpoint = try f.string("endpoint")
        model = try f.string("model")
        if let api = try f.choice("api", GenerationAPI.self) { self.api = api }
        samples = try f.int("samples") ?? f.int("n")
        if let v = try f.int("max-n") { maxN = v }
        if let v = try f.double("temperature") { temperature = v }
        if let v = try f.double("top-p") { topP = v }
        if let v = try f.int("max-tokens") { maxTokens = v }
        seed = try f.int("seed")
        stop = try f.strings("stop")
        noStop = try f.bool("no-stop")
        if let v = try f.int("concurrency") { concurrency = v }
        if let v = try f.double("timeout") { timeout = v }
        if let v = try f.int("retries") { retries = v }
        if let v = try f.double("backoff") { backoff = v }
        apiKeyEnv = try f.string("api-key-env")
        template = try f.string("template")
        fromSeeds = try f.bool("from-seeds")
        seedIDs = try f.int64s("seed-id")
        problems = try f.strings("problem")
        whereSQL = try f.string("where")
        shard = try f.string("shard")
        limit = try f.int("limit")
        retryUnparseable = try f.bool("retry-unparseable")
        if let v = try f.int("max-failures") { maxFailures = v }
        if let v = try f.string("id-prefix") { idPrefix = v }
        python = try f.string("python")
        try f.refuse("dry-run", because: "is for the stand-alone command: `codedpo run --dry-run` shows what every step would run")
        try f.refuse("print-template", because: "is for the stand-alone command")
        f.ignore("quiet", "format")
        try f.finish(command: "generate")
    }
}

extension ExecuteRequest {
    public init(flags f: StepFlags) throws {
        self.init()
        if let v = try f.double("timeout") { timeout = v }
        if let v = try f.double("load-timeout") { loadTimeout = v }
        if let v = try f.double("wall-factor") { wallFactor = v }
        if let v = try f.int("memory-mb") { memoryMB = v }
        if let v = try f.double("cpu-seconds") { cpuSeconds = v }
        if let v = try f.int("max-processes") { maxProcesses = v }
        if let v = try f.int("max-file-mb") { maxFileMB = v }
        if let v = try f.int("max-open-files") { maxOpenFiles = v }
        if let v = try f.int("output-limit") { outputLimit = v }
        if let v = try f.choice("isolation", Isolation.self) { isolation = v }
        if let v = try f.choice("test-isolation", TestIsolation.self) { testIsolation = v }
        if let v = try f.int("jobs") { jobs = v }
        problems = try f.strings("problem")
        whereSQL = try f.string("where")
        shard = try f.string("shard")
        testKinds = try f.strings("tests").map { text in
            guard let kind = TestKind(rawValue: text) else { throw UsageError("\(f.location): \"tests\" is generated or ground_truth, not \(text)") }
            return kind
        }
        retry = try f.strings("retry")
        fromConfig = try f.int64("from-config")
        python = try f.string("python")
        f.ignore("quiet", "format")
        try f.finish(command: "execute")
        try validate()
    }
}

extension ScoreRequest {
    public init(flags f: StepFlags) throws {
        self.init()
        strategy = try f.string("strategy")
        allStrategies = try f.bool("all-strategies")
        if let v = try f.string("damping") { damping = v }
        if let v = try f.string("iterations") { iterations = v }
        tolerance = try f.double("tolerance")
        noMultiplicity = try f.bool("no-multiplicity")
        if let v = try f.double("gamma") { gamma = v }
        if let v = try f.uint64("seed") { seed = v }
        if let v = try f.double("alpha") { alpha = v }
        if let v = try f.string("beta0") { beta0 = v }
        // `config` is the old name of `execution-config`.
        executionConfig = try f.int64("execution-config") ?? f.int64("config")
        f.ignore("format")
        try f.finish(command: "score")
        _ = try strategies()
    }
}

extension EvalRequest {
    public init(flags f: StepFlags) throws {
        self.init()
        scoreRuns = try f.int64s("score-run")
        noExecute = try f.bool("no-execute")
        if let v = try f.int("jobs") { jobs = v }
        f.ignore("format")
        try f.finish(command: "eval")
    }
}

extension EfficiencyRequest {
    public init(scoreRun: Int64, flags f: StepFlags) throws {
        self.init(scoreRun: scoreRun)
        if let v = try f.int("repeat") { repeatCount = v }
        // `scale` is the old name of `min-seconds`.
        if let v = try f.double("min-seconds") ?? f.double("scale") { minSeconds = v }
        if let v = try f.double("max-noise") { maxNoise = v }
        if let v = try f.string("method") { method = v }
        if let v = try f.uint64("seed") { seed = v }
        problems = try f.strings("problem")
        shard = try f.string("shard")
        f.ignore("format")
        try f.finish(command: "efficiency")
        _ = try options()
    }
}

extension PairsRequest {
    public init(name: String, scoreRun: Int64, efficiencyRun: Int64?, flags f: StepFlags) throws {
        self.init(name: name, scoreRun: scoreRun)
        self.efficiencyRun = efficiencyRun
        if let v = try f.double("min-margin") { minMargin = v }
        if let v = try f.int("pairs-per-problem") { pairsPerProblem = v }
        allowNoPass = try f.bool("allow-no-pass")
        if let v = try f.double("min-speedup") { minSpeedup = v }
        if let v = try f.double("noise-factor") { noiseFactor = v }
        efficiencyOnly = try f.bool("efficiency-only")
        f.ignore("format")
        try f.finish(command: "pairs")
        _ = try policy()
    }
}

extension ExportRequest {
    public init(pairSet: String, flags f: StepFlags) throws {
        guard let format = try f.string("format") else { throw UsageError("\(f.location): an export needs \"format\" (\(ExportFormat.allCases.map(\.rawValue).joined(separator: ", ")))") }
        let out = try f.string("out"), hub = try f.string("hub")
        guard out != nil || hub != nil else { throw UsageError("\(f.location): an export needs \"out\", the file to write (or \"hub\", a folder)") }
        self.init(pairSet: pairSet, scoreRun: nil, format: format, out: out, hub: hub)
        if let v = try f.string("license") { license = v }
        if let v = try f.int("min-tests") { minTests = v }
        split = try f.double("split")
        limit = try f.int("limit")
        shuffle = try f.bool("shuffle")
        if let v = try f.uint64("seed") { seed = v }
        kinds = try f.strings("kind")
        balance = try f.bool("balance")
        f.ignore("report-format")
        try f.finish(command: "export")
        _ = try options()
    }
}

extension ReportRequest {
    public init(flags f: StepFlags) throws {
        guard let out = try f.string("out") else { throw UsageError("\(f.location): a report needs \"out\", the HTML file to write") }
        self.init(out: out)
        scoreRun = try f.int64("score-run")
        problems = try f.strings("problem")
        f.ignore("format")
        try f.finish(command: "report")
    }
}
