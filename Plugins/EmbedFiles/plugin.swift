import Foundation
import PackagePlugin

/// Embeds every `.sql`, `.py` and `.jsonl` file of a target into one generated Swift file.
///
/// The files are not declared as resources: SwiftPM hands unhandled files to build-tool
/// plugins, tracks their edits, and no resource bundle is needed next to the binary.
@main
struct EmbedFiles: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        guard let module = target as? SourceModuleTarget else { return [] }
        let inputs = module.sourceFiles
            .map(\.url)
            .filter { ["sql", "py", "jsonl"].contains($0.pathExtension) }
            .sorted { $0.path < $1.path }
        let typeName = "Embedded" + module.moduleName.replacingOccurrences(of: "CodeDPO", with: "")
        let output = context.pluginWorkDirectoryURL.appending(path: "\(typeName).swift")
        return [
            .buildCommand(
                displayName: "Embedding \(inputs.count) files into \(module.moduleName)",
                executable: try context.tool(named: "EmbedFilesTool").url,
                arguments: [typeName, output.path] + inputs.map(\.path),
                inputFiles: inputs,
                outputFiles: [output]
            )
        ]
    }
}
