import ArgumentParser
import CodeDPOKit
import Foundation

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "report", abstract: "(being built)")
    func run() async throws { throw ValidationError("codedpo report is not built yet") }
}
