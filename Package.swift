// swift-tools-version:6.0
import PackageDescription

// Dependencies are chosen, not collected: the system SQLite library and
// swift-argument-parser are the base (see README, "Dependencies").
let package = Package(
    name: "codedpo",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "codedpo", targets: ["codedpo"]),
        .library(name: "CodeDPOKit", targets: ["CodeDPOKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CSQLite",
            path: "Sources/CSQLite",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            path: "Sources/CZlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // Turns the .sql / .py files of a target into Swift string literals at build
        // time, so the binary needs no files beside it at run time.
        .executableTarget(name: "EmbedFilesTool", path: "Sources/EmbedFilesTool"),
        .plugin(
            name: "EmbedFiles",
            capability: .buildTool(),
            dependencies: ["EmbedFilesTool"],
            path: "Plugins/EmbedFiles"
        ),
        // The numbered migrations live at the top level (`migrations/`) where people
        // look for them; this target only ships them inside the binary.
        .target(
            name: "CodeDPOMigrations",
            path: "migrations",
            plugins: ["EmbedFiles"]
        ),
        .target(
            name: "CodeDPOKit",
            dependencies: ["CSQLite", "CZlib", "CodeDPOMigrations"],
            path: "Sources/CodeDPOKit",
            plugins: ["EmbedFiles"]
        ),
        .executableTarget(
            name: "codedpo",
            dependencies: [
                "CodeDPOKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/codedpo"
        ),
        .testTarget(
            name: "CodeDPOKitTests",
            dependencies: ["CodeDPOKit", "CSQLite"],
            path: "Tests/CodeDPOKitTests"
        ),
        .testTarget(
            name: "CLITests",
            dependencies: ["CodeDPOKit"],
            path: "Tests/CLITests"
        ),
    ],
    swiftLanguageModes: [.v5]
)
