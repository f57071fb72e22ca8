import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Where requests go and how hard to try. The API key lives only here, in memory: it is sent
/// as a header and never written to the database, the run's parameters or any message.
public struct ClientSettings: Sendable {
    /// The base URL as given (`http://127.0.0.1:8000/v1`); see `url(for:)`.
    public var endpoint: String
    public var model: String
    public var api: GenerationAPI = .chat
    public var apiKey: String?
    /// Seconds one attempt may take, from sending to the last byte of the answer.
    public var timeout: Double = 300
    /// Retries after the first attempt, on 408, 429, 5xx, timeouts and connection errors.
    public var retries: Int = 5
    /// Backoff: the k-th retry waits about base * 2^(k-1) seconds (with jitter), at most `maxBackoff`.
    public var backoffBase: Double = 1
    public var maxBackoff: Double = 60
    /// A Retry-After longer than this is cut to it.
    public var maxRetryAfter: Double = 300
    /// Extra HTTP headers (never stored either).
    public var headers: [String: String] = [:]

    public init(endpoint: String, model: String) {
        self.endpoint = endpoint
        self.model = model
    }

    /// The request URL for an API: `{endpoint}/chat/completions` or `{endpoint}/completions`.
    /// An endpoint without a path gets `/v1` (what vLLM, SGLang, llama.cpp, Ollama serve); one
    /// that already ends in the API's path is used as it is.
    public func url(for api: GenerationAPI) throws -> URL {
        var text = endpoint.trimmingCharacters(in: .whitespaces)
        while text.hasSuffix("/") { text.removeLast() }
        let lower = text.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://"), var components = URLComponents(string: text),
              components.host?.isEmpty == false else {
            throw GenerationError("--endpoint must be an http(s) URL such as http://127.0.0.1:8000/v1, not \"\(endpoint)\"")
        }
        let given: GenerationAPI? = components.path.hasSuffix("/chat/completions") ? .chat
            : components.path.hasSuffix("/completions") ? .completion : nil
        if let given {
            guard given == api else {
                throw GenerationError("--endpoint ends in the \(given.rawValue) API's path, not --api \(api.rawValue)'s: give the base URL (e.g. http://host:8000/v1)")
            }
            return components.url!
        }
        if components.path.isEmpty { components.path = "/v1" }
        components.path += "/" + api.path
        return components.url!
    }

    /// The endpoint as stored: user name and password removed.
    public var storedEndpoint: String {
        guard var components = URLComponents(string: endpoint.trimmingCharacters(in: .whitespaces)) else { return endpoint }
        components.user = nil
        components.password = nil
        var text = components.string ?? endpoint
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }
}

public struct GenerationError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// One returned choice.
public struct GeneratedChoice: Sendable, Equatable {
    public var index: Int
    public var text: String
    public var finishReason: String?
}

/// What became of one request after its retries.
public struct CallOutcome: Sendable {
    public enum Status: Sendable, Equatable { case ok, failed, cancelled }
    public var status: Status
    public var httpStatus: Int?
    public var attempts: Int
    public var error: String?
    /// The response body, when it was JSON (stored in `generations.response`).
    public var response: JSON?
    public var choices: [GeneratedChoice] = []
    public var promptTokens: Int?
    public var completionTokens: Int?
    /// Seconds of the last attempt.
    public var latency: Double?
    /// The server refused `n` > 1 (a 400/422 naming the parameter): ask again one at a time.
    public var rejectedN = false
}

/// Spaces requests out after a 429: one Retry-After pauses every request, not just the one
/// that got it.
actor RetryGate {
    private var notBefore = Date.distantPast

    func pause(for seconds: Double) {
        let until = Date(timeIntervalSinceNow: seconds)
        if until > notBefore { notBefore = until }
    }

    func wait() async throws {
        while true {
            let delay = notBefore.timeIntervalSinceNow
            if delay <= 0 { return }
            try await Task.sleep(nanoseconds: UInt64(delay * 1e9))
        }
    }
}

/// Removes a secret from text before it is stored or printed (a server may echo headers).
public struct Redactor: Sendable {
    let secrets: [String]

    public init(_ secrets: [String?]) {
        self.secrets = secrets.compactMap { $0 }.filter { $0.count >= 4 }
    }

    public func clean(_ text: String) -> String {
        secrets.reduce(text) { $0.replacingOccurrences(of: $1, with: "[redacted]") }
    }
}

/// An OpenAI-compatible HTTP client: one POST per request, retried with exponential backoff
/// and jitter on 408, 429, 5xx, timeouts and connection errors, honouring Retry-After.
public final class OpenAIClient: @unchecked Sendable {
    public let settings: ClientSettings
    let url: URL
    let session: URLSession
    let gate = RetryGate()
    public let redactor: Redactor

    public init(settings: ClientSettings, maxConnections: Int) throws {
        self.settings = settings
        self.url = try settings.url(for: settings.api)
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = max(1, maxConnections)
        // Foundation on Linux turns these into whole seconds (0.5 becomes 0: at once), so the
        // transport gets a rounded-up bound and `perform` enforces the exact one.
        configuration.timeoutIntervalForRequest = Self.transportTimeout(settings.timeout)
        configuration.timeoutIntervalForResource = Self.transportTimeout(settings.timeout)
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        self.session = URLSession(configuration: configuration)
        self.redactor = Redactor([settings.apiKey] + settings.headers.values.map { Optional($0) })
    }

    deinit { session.invalidateAndCancel() }

    struct AttemptTimeout: Error {}

    /// Sends one request body, retrying as configured. Never throws: every end is an outcome.
    public func send(body: JSON, expectChoices n: Int) async -> CallOutcome {
        var outcome = CallOutcome(status: .failed, attempts: 0)
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.timeoutInterval = Self.transportTimeout(settings.timeout)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        request.setValue("codedpo/\(CodeDPO.version)", forHTTPHeaderField: "User-Agent")
        if let key = settings.apiKey { request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization") }
        for (name, value) in settings.headers { request.setValue(value, forHTTPHeaderField: name) }
        request.httpBody = Data(body.text.utf8)

        for attempt in 0...max(0, settings.retries) {
            if Task.isCancelled { return cancelled(outcome) }
            do { try await gate.wait() } catch { return cancelled(outcome) }
            outcome.attempts = attempt + 1
            let started = Date()
            var retryAfter: Double?
            do {
                let (data, response) = try await perform(request)
                outcome.latency = Date().timeIntervalSince(started)
                let http = response as? HTTPURLResponse
                let status = http?.statusCode ?? 0
                outcome.httpStatus = status
                if (200..<300).contains(status) {
                    return parse(data, into: outcome)
                }
                let snippet = redactor.clean(Self.snippet(data))
                outcome.error = "HTTP \(status)" + (snippet.isEmpty ? "" : ": \(snippet)")
                outcome.response = Self.json(data).flatMap { redacted($0) }
                if status == 408 || status == 429 || (500..<600).contains(status) {
                    retryAfter = http.flatMap { Self.retryAfter($0.value(forHTTPHeaderField: "Retry-After")) }
                    if status == 429 {
                        await gate.pause(for: min(retryAfter ?? backoff(attempt), settings.maxRetryAfter))
                    }
                } else {
                    outcome.rejectedN = n > 1 && (status == 400 || status == 422) && Self.mentionsN(snippet)
                    return outcome
                }
            } catch is CancellationError {
                return cancelled(outcome)
            } catch is AttemptTimeout {
                if Task.isCancelled { return cancelled(outcome) }
                outcome.latency = Date().timeIntervalSince(started)
                outcome.httpStatus = nil
                outcome.error = "timed out after \(Self.seconds(settings.timeout)) (--timeout)"
            } catch let error as URLError {
                if error.code == .cancelled || Task.isCancelled { return cancelled(outcome) }
                outcome.latency = Date().timeIntervalSince(started)
                outcome.httpStatus = nil
                outcome.error = error.code == .timedOut ? "timed out after \(Self.seconds(settings.timeout)) (--timeout)"
                    : redactor.clean(Self.describe(error))
                if !Self.isRetryable(error) { return outcome }
            } catch {
                if Task.isCancelled { return cancelled(outcome) }
                outcome.httpStatus = nil
                outcome.error = redactor.clean(String(describing: error))
                return outcome
            }
            if attempt == settings.retries { break }
            let wait = retryAfter.map { min($0, settings.maxRetryAfter) } ?? backoff(attempt)
            do { try await Task.sleep(nanoseconds: UInt64(max(0, wait) * 1e9)) } catch { return cancelled(outcome) }
        }
        if settings.retries > 0, let error = outcome.error {
            outcome.error = "\(error) (gave up after \(outcome.attempts) attempts)"
        }
        return outcome
    }

    /// One attempt, bounded by the timeout whatever the transport does.
    func perform(_ request: URLRequest) async throws -> (Data, URLResponse) {
        let timeout = settings.timeout
        let session = self.session
        return try await withThrowingTaskGroup(of: (Data, URLResponse)?.self) { group in
            group.addTask { try await session.data(for: request) }
            group.addTask {
                try await Task.sleep(nanoseconds: UInt64(timeout * 1e9))
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next() else { throw AttemptTimeout() }
            guard let result = first else { throw AttemptTimeout() }
            return result
        }
    }

    /// Exponential backoff with jitter: half fixed, half random.
    func backoff(_ attempt: Int) -> Double {
        let full = min(settings.maxBackoff, settings.backoffBase * pow(2, Double(attempt)))
        return full / 2 + Double.random(in: 0...(full / 2))
    }

    func cancelled(_ outcome: CallOutcome) -> CallOutcome {
        var outcome = outcome
        outcome.status = .cancelled
        outcome.error = "stopped before the response arrived (interrupted)"
        return outcome
    }

    func redacted(_ json: JSON) -> JSON? {
        guard !redactor.secrets.isEmpty else { return json }
        let text = json.text
        let clean = redactor.clean(text)
        if clean == text { return json }
        return try? JSON.parse(clean)
    }

    /// A 2xx body: choices, text, finish reasons, token counts.
    func parse(_ data: Data, into outcome: CallOutcome) -> CallOutcome {
        var outcome = outcome
        guard let json = Self.json(data) else {
            outcome.error = "malformed response: the body is not JSON: " + redactor.clean(Self.snippet(data))
            return outcome
        }
        outcome.response = redacted(json)
        if let error = json["error"], !error.isNull {
            outcome.error = "the server answered with an error: " + redactor.clean(error["message"]?.stringValue ?? error.text)
            return outcome
        }
        guard let choices = json["choices"]?.arrayValue else {
            outcome.error = "malformed response: no \"choices\" list in the body"
            return outcome
        }
        var parsed: [GeneratedChoice] = []
        for (position, choice) in choices.enumerated() {
            let index = choice["index"]?.intValue.map(Int.init) ?? position
            let text: String?
            switch settings.api {
            case .chat: text = choice["message"]?["content"]?.stringValue ?? (choice["message"]?["content"]?.isNull == true ? "" : nil)
            case .completion: text = choice["text"]?.stringValue
            }
            guard let text else {
                outcome.error = "malformed response: choice \(position) has no \(settings.api == .chat ? "message.content" : "text")"
                return outcome
            }
            parsed.append(GeneratedChoice(index: index, text: text, finishReason: choice["finish_reason"]?.stringValue))
        }
        parsed.sort { $0.index < $1.index }
        // Indexes must be distinct; a server that numbers every choice 0 gets positions.
        if Set(parsed.map(\.index)).count != parsed.count {
            for position in parsed.indices { parsed[position].index = position }
        }
        guard !parsed.isEmpty else {
            outcome.error = "malformed response: the \"choices\" list is empty"
            return outcome
        }
        outcome.choices = parsed
        outcome.promptTokens = json["usage"]?["prompt_tokens"]?.intValue.map(Int.init)
        outcome.completionTokens = json["usage"]?["completion_tokens"]?.intValue.map(Int.init)
        outcome.status = .ok
        outcome.error = nil
        return outcome
    }

    static func json(_ data: Data) -> JSON? {
        guard !data.isEmpty else { return nil }
        return try? data.withUnsafeBytes { try JSON.parse(bytes: $0) }
    }

    static func snippet(_ data: Data, limit: Int = 500) -> String {
        let text = String(decoding: data.prefix(limit * 4), as: UTF8.self)
            .replacingOccurrences(of: "\n", with: " ").trimmingCharacters(in: .whitespaces)
        return text.count > limit ? String(text.prefix(limit)) + "…" : text
    }

    static func mentionsN(_ text: String) -> Bool {
        let lower = text.lowercased()
        return lower.contains("\"n\"") || lower.contains("'n'") || lower.contains("`n`") || lower.contains(" n must")
            || lower.contains("n must be") || lower.contains("parameter n ") || lower.contains("n >") || lower.contains("n>1")
    }

    /// Retry-After in seconds: a number of seconds or an HTTP date.
    static func retryAfter(_ value: String?) -> Double? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let seconds = Double(value), seconds >= 0 { return seconds }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        if let date = formatter.date(from: value) { return max(0, date.timeIntervalSinceNow) }
        return nil
    }

    static func isRetryable(_ error: URLError) -> Bool {
        switch error.code {
        case .timedOut, .cannotConnectToHost, .networkConnectionLost, .notConnectedToInternet, .cannotFindHost,
             .dnsLookupFailed, .badServerResponse, .secureConnectionFailed, .resourceUnavailable, .zeroByteResource,
             .cannotLoadFromNetwork, .dataNotAllowed, .internationalRoamingOff, .callIsActive:
            return true
        default:
            return false
        }
    }

    static func describe(_ error: URLError) -> String {
        let reason: String
        switch error.code {
        case .cannotConnectToHost: reason = "could not connect (connection refused?)"
        case .timedOut: reason = "timed out"
        case .networkConnectionLost: reason = "the connection was lost"
        case .cannotFindHost, .dnsLookupFailed: reason = "the host name does not resolve"
        case .badServerResponse: reason = "the server's response was not valid HTTP"
        default: reason = error.localizedDescription
        }
        return "\(reason) (URLError \(error.code.rawValue))"
    }

    static func transportTimeout(_ timeout: Double) -> Double { (timeout + 1).rounded(.up) }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : String(format: "%.2g s", value)
    }
}
