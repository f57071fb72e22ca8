/// The strategies' names as users write them (`--strategy`, score_runs.strategy, pipeline
/// configs), in the order `score --all-strategies` runs them.
public enum StrategyCatalog {
    public static let names = ["self-validation", "codet", "pass-count", "all-tests", "random", "consensus", "b4", "mbr-exec", "soft-b4"]
}
