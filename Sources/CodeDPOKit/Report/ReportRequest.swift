import Foundation

/// One `codedpo report` (or a pipeline's report step): where to write the page and what to
/// focus on.
public struct ReportRequest: Sendable {
    public var out: String
    public var scoreRun: Int64?
    public var problems: [String] = []

    public init(out: String) { self.out = out }

    public struct Written: Sendable {
        /// The absolute path written.
        public var path: String
        public var bytes: Int
        public var sections: [HTMLReport.Section]
        /// "score run 6 (self-validation)", when there is one.
        public var focus: String?
    }

    /// Reads the database (never executes anything) and writes the page atomically.
    public func run(db: Database) throws -> Written {
        var options = ReportData.Options(scoreRun: scoreRun)
        options.problems = problems
        let data = try ReportData.load(db, options: options)
        let page = HTMLReport.render(data)
        let url = URL(fileURLWithPath: out)
        do {
            try Data(page.html.utf8).write(to: url, options: .atomic)
        } catch {
            throw StoreError("cannot write \(out): \(error.localizedDescription)")
        }
        return Written(path: url.path, bytes: page.html.utf8.count, sections: page.sections, focus: data.scoreRun?.label)
    }
}
