import ArgumentParser
import CodeDPOKit
import Foundation

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "demo", abstract: "(being built)")
    func run() async throws { throw ValidationError("codedpo demo is not built yet") }
}
