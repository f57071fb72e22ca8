import Foundation

/// Provenance: every command that changes data is a row in `runs`, written before the work
/// starts (so a crash leaves a trace) and closed with its status when the work ends.
public enum RunStatus: String, Sendable, CaseIterable {
    case running, ok, failed, interrupted
}

public struct RunLog {
    public let db: Database

    public init(_ db: Database) { self.db = db }

    static var hostName: String { ProcessInfo.processInfo.hostName }

    /// Records the start of a command; committed at once, outside any work transaction.
    public func start(command: String, argv: [String], parameters: JSON = .object([])) throws -> Int64 {
        precondition(!db.isInTransaction, "a run must be recorded outside the work transaction")
        try markInterrupted()
        try db.run("""
            INSERT INTO runs (command, argv, parameters, tool_version, host, pid)
            VALUES (?, ?, ?, ?, ?, ?)
            """, command, JSON(argv).text, parameters.text, CodeDPO.version, Self.hostName,
                   Int(ProcessInfo.processInfo.processIdentifier))
        return db.lastInsertRowID
    }

    public func finish(_ runID: Int64, status: RunStatus, error: String? = nil, summary: JSON? = nil) throws {
        try db.run("""
            UPDATE runs SET status = ?, error = ?, summary = ?,
                finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
            WHERE id = ?
            """, status.rawValue, error, summary?.text, runID)
    }

    /// Runs left 'running' by a process of this host that no longer exists were killed:
    /// say so, instead of leaving them running forever.
    public func markInterrupted() throws {
        let rows = try db.rows("SELECT id, pid FROM runs WHERE status = 'running' AND host = ?", Self.hostName)
        for row in rows {
            guard let id = row[0].int64, let pid = row[1].int else { continue }
            if pid != Int(ProcessInfo.processInfo.processIdentifier), kill(pid_t(pid), 0) != 0, errno == ESRCH {
                try finish(id, status: .interrupted, error: "the process (pid \(pid)) ended without finishing the run")
            }
        }
    }

    /// Records a run around `body`: 'ok' when it returns, 'failed' with the error when it
    /// throws (and the error is rethrown). `body` gets the run id to stamp produced rows.
    public func record<T>(command: String, argv: [String], parameters: JSON = .object([]),
                          summary: (T) -> JSON? = { _ in nil },
                          _ body: (Int64) throws -> T) throws -> T {
        let runID = try start(command: command, argv: argv, parameters: parameters)
        do {
            let result = try body(runID)
            try finish(runID, status: .ok, summary: summary(result))
            return result
        } catch {
            try? finish(runID, status: .failed, error: String(describing: error))
            throw error
        }
    }
}
