import ArgumentParser
import CodeDPOKit
import Foundation

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "(being built)")
    func run() async throws { throw ValidationError("codedpo run is not built yet") }
}
