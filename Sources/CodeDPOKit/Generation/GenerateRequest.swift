import Foundation

/// One `codedpo generate` (or a pipeline's generate step), as the flags give it.
/// `options(environment:)` is the one translation to GenerateOptions (the API key is read from
/// the environment variable it names, never stored); `run` records the run.
public struct GenerateRequest: Sendable {
    public var stage: GenerationStage
    /// nil: $OPENAI_BASE_URL.
    public var endpoint: String?
    public var model: String?
    public var api: GenerationAPI = .chat
    /// nil: 15 for solutions and tests, 1 for problems.
    public var samples: Int?
    public var maxN = 16
    public var temperature = 0.8
    public var topP = 0.95
    public var maxTokens = 1024
    public var seed: Int?
    public var stop: [String] = []
    public var noStop = false
    public var concurrency = 4
    public var timeout = 300.0
    public var retries = 5
    public var backoff = 1.0
    public var apiKeyEnv: String?
    public var template: String?
    public var fromSeeds = false
    public var seedIDs: [Int64] = []
    public var problems: [String] = []
    public var whereSQL: String?
    public var shard: String?
    public var limit: Int?
    public var retryUnparseable = false
    public var maxFailures = 20
    public var idPrefix = "gen/"
    public var python: String?

    public init(stage: GenerationStage) { self.stage = stage }

    public var sampleCount: Int { samples ?? (stage == .problems ? 1 : 15) }

    public func resolvedEndpoint(_ environment: [String: String]) -> String? {
        if let endpoint, !endpoint.isEmpty { return endpoint }
        if let env = environment["OPENAI_BASE_URL"], !env.isEmpty { return env }
        return nil
    }

    /// `needsEndpoint` false: only the template is wanted (`--print-template`).
    public func validate(environment: [String: String], needsEndpoint: Bool = true) throws {
        if sampleCount < 1 { throw UsageError("-n must be >= 1") }
        if maxN < 1 { throw UsageError("--max-n must be >= 1") }
        if concurrency < 1 { throw UsageError("--concurrency must be >= 1") }
        if timeout <= 0 { throw UsageError("--timeout must be > 0") }
        if retries < 0 { throw UsageError("--retries must be >= 0") }
        if backoff < 0 { throw UsageError("--backoff must be >= 0") }
        if maxTokens < 1 { throw UsageError("--max-tokens must be >= 1") }
        if temperature < 0 { throw UsageError("--temperature must be >= 0") }
        if topP <= 0 || topP > 1 { throw UsageError("--top-p must be in (0, 1]") }
        if let limit, limit < 1 { throw UsageError("--limit must be >= 1") }
        if maxFailures < 0 { throw UsageError("--max-failures must be >= 0") }
        if let shard, Shard(shard) == nil { throw UsageError("--shard takes I/N with 0 <= I < N, e.g. 0/4") }
        if noStop && !stop.isEmpty { throw UsageError("--no-stop and --stop exclude each other") }
        if stage == .problems && !problems.isEmpty { throw UsageError("--problem selects problems for solutions and tests; for problems use --seed-id") }
        if stage != .problems && (!seedIDs.isEmpty || fromSeeds) { throw UsageError("--from-seeds and --seed-id are for `generate problems`") }
        if let apiKeyEnv, apiKeyEnv.range(of: "^[A-Za-z_][A-Za-z0-9_]*$", options: .regularExpression) == nil {
            throw UsageError("--api-key-env takes the NAME of an environment variable (e.g. OPENAI_API_KEY), not the key itself")
        }
        if let endpoint = resolvedEndpoint(environment), let components = URLComponents(string: endpoint), components.user != nil || components.password != nil {
            throw UsageError("--endpoint must not carry credentials (they would be recorded with the run): put the key in an environment variable and name it with --api-key-env")
        }
        if needsEndpoint {
            if resolvedEndpoint(environment) == nil { throw UsageError("--endpoint is required (or set OPENAI_BASE_URL), e.g. --endpoint http://127.0.0.1:8000/v1") }
            if model?.isEmpty ?? true { throw UsageError("--model is required: the model name the endpoint serves") }
        }
    }

    public func loadTemplate() throws -> PromptTemplate {
        if let template { return try PromptTemplate.load(path: template, stage: stage, api: api) }
        return PromptTemplate.builtin(stage: stage, api: api)
    }

    static func unescape(_ text: String) -> String {
        text.replacingOccurrences(of: "\\n", with: "\n").replacingOccurrences(of: "\\t", with: "\t")
    }

    /// The environment variable the API key is read from.
    public var keyName: String { apiKeyEnv ?? "OPENAI_API_KEY" }

    public func options(environment: [String: String]) throws -> GenerateOptions {
        try validate(environment: environment)
        let key = environment[keyName].flatMap { $0.isEmpty ? nil : $0 }
        if apiKeyEnv != nil && key == nil {
            throw GenerationError("the environment variable \(keyName) (named by --api-key-env) is not set: export it with the API key")
        }
        var client = ClientSettings(endpoint: resolvedEndpoint(environment)!, model: model!)
        client.api = api
        client.apiKey = key
        client.timeout = timeout
        client.retries = retries
        client.backoffBase = backoff
        _ = try client.url(for: api)

        var options = GenerateOptions(stage: stage, client: client, template: try loadTemplate())
        options.samples = sampleCount
        options.maxN = maxN
        options.concurrency = concurrency
        options.temperature = temperature
        options.topP = topP < 1 ? topP : nil
        options.maxTokens = maxTokens
        options.seed = seed
        options.stop = noStop ? [] : (stop.isEmpty ? nil : stop.map(Self.unescape))
        options.problems = problems
        options.seeds = seedIDs
        options.whereSQL = whereSQL
        options.shard = shard.flatMap(Shard.init)
        options.limit = limit
        options.python = python
        options.retryUnparseable = retryUnparseable
        options.maxConsecutiveFailures = maxFailures
        options.idPrefix = idPrefix
        return options
    }

    /// What the run's parameters record beside the sampling parameters.
    func parameters(_ options: GenerateOptions) -> JSON {
        var parameters = options.parameters.objectValue ?? []
        parameters += [("problems", JSON(problems)), ("seeds", .array(seedIDs.map { .int($0) })), ("where", JSON(whereSQL)),
                       ("shard", JSON(shard)), ("limit", JSON(limit)), ("api_key_env", .string(keyName)),
                       ("api_key_set", .bool(options.client.apiKey != nil))]
        return .object(parameters)
    }

    /// Generates what is missing, recorded as one run with the command line `argv`: ok,
    /// interrupted (stopped by `shouldStop`), or failed (stopped after too many failures, or an
    /// error). A run that stopped for failures throws after recording, naming the reason.
    public func run(db: Database, argv: [String], options: GenerateOptions, progress: (GenerateProgress) -> Void = { _ in },
                    note: (String) -> Void = { _ in }, shouldStop: @escaping @Sendable () -> Bool = { false }) async throws -> GenerateReport {
        let log = RunLog(db)
        let runID = try log.start(command: "generate", argv: argv, parameters: parameters(options))
        let report: GenerateReport
        do {
            report = try await Generator(db: db, runID: runID, options: options).run(progress: progress, note: note, shouldStop: shouldStop)
        } catch {
            try? log.finish(runID, status: .failed, error: String(describing: error))
            throw error
        }
        let status: RunStatus = report.interrupted ? .interrupted : report.stoppedBecause != nil ? .failed : .ok
        let error = report.interrupted ? "stopped by a signal; finished answers kept" : report.stoppedBecause
        try log.finish(runID, status: status, error: error, summary: report.json)
        return report
    }
}
