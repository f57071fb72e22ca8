/// The tool's version, recorded in `runs`, `schema_migrations` and export manifests.
public enum CodeDPO {
    public static let version = "0.1.0"
}
