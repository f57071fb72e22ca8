import Foundation

/// Parquet output for verl (every verl version reads .parquet; only newer ones read .json):
/// the rows are written and checked as JSON lines first, then converted by pyarrow, which is
/// used only when installed (`python3 -m pip install pyarrow`; Hugging Face datasets brings it).
enum Parquet {
    static let script = """
        import os, sys
        import pyarrow as pa, pyarrow.json as pj, pyarrow.parquet as pq
        source, target = sys.argv[1], sys.argv[2]
        if os.path.getsize(source) == 0:
            table = pa.table({})
        else:
            # One block: types are inferred over every row, not the first megabyte.
            table = pj.read_json(source, read_options=pj.ReadOptions(block_size=max(1 << 20, os.path.getsize(source) + 1)))
        pq.write_table(table, target)
        print(pq.read_metadata(target).num_rows)
        """

    /// The interpreter to convert with, or nil when Python or pyarrow is missing.
    static func converter() -> PythonInterpreter? {
        guard let python = try? PythonInterpreter.resolve(),
              (try? PythonInterpreter.run(python.path, ["-c", "import pyarrow.json, pyarrow.parquet"])) != nil else { return nil }
        return python
    }

    /// Converts checked JSON lines to a Parquet file holding the same rows.
    static func convert(jsonLines: String, to path: String, rows: Int, python: PythonInterpreter) throws {
        let output: String
        do {
            output = try PythonInterpreter.run(python.path, ["-c", script, jsonLines, path])
        } catch {
            throw StoreError("converting \(jsonLines) to Parquet with pyarrow (\(python.path)) failed: \(error); write --out NAME.json instead")
        }
        guard Int(output.trimmingCharacters(in: .whitespacesAndNewlines)) == rows else {
            throw StoreError("\(path) holds \(output.trimmingCharacters(in: .whitespacesAndNewlines)) rows after conversion, \(rows) were written; no export was recorded")
        }
    }
}
