import ArgumentParser
import CodeDPOKit
import Foundation

struct MergeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "merge", abstract: "(being built)")
    func run() async throws { throw ValidationError("codedpo merge is not built yet") }
}
