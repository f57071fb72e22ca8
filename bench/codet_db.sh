# Sourced by the bench scripts: `codet_db BINARY DATA_DIR DB` creates DB with HumanEval's
# problems and CodeT's CodeGen-16B solutions and generated tests (../shared/data/codet), the
# database every CodeT benchmark starts from.
codet_db() {
    local b="$1" data="$2" db="$3"
    "$b" init --db "$db" >/dev/null
    "$b" import problems "$data/humaneval/HumanEval.jsonl.gz" --format humaneval --db "$db" >/dev/null
    "$b" import solutions "$data/codet/HumanEval_codegen16B_temp0.8_topp0.95_num100_max300_code_solution.tasks0-81.jsonl" \
        --format codet --prompts "$data/codet/HumanEval_for_code_generation.jsonl" --db "$db" >/dev/null
    "$b" import tests "$data/codet/HumanEval_codegen16B_temp0.8_topp0.95_num100_max300_test_case.tasks0-81.jsonl" \
        --format codet --prompts "$data/codet/HumanEval_for_test_case_generation.jsonl" --db "$db" >/dev/null
}
