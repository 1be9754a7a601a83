# Runs the clinsim program as a user would and checks its output and exit codes.
# Invoked by ctest: cmake -DCLINSIM=path/to/clinsim -P cli_test.cmake
function(expect_run)
  cmake_parse_arguments(A "" "EXIT;INPUT;CONTAINS;NAME" "ARGS" ${ARGN})
  if(A_INPUT)
    file(WRITE "${CMAKE_CURRENT_BINARY_DIR}/cli_input_${A_NAME}.txt" "${A_INPUT}")
    execute_process(COMMAND ${CLINSIM} ${A_ARGS}
      INPUT_FILE "${CMAKE_CURRENT_BINARY_DIR}/cli_input_${A_NAME}.txt"
      RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  else()
    execute_process(COMMAND ${CLINSIM} ${A_ARGS} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  endif()
  if(NOT rc EQUAL A_EXIT)
    message(FATAL_ERROR "${A_NAME}: exit ${rc}, expected ${A_EXIT}\nstdout:\n${out}\nstderr:\n${err}")
  endif()
  if(A_CONTAINS)
    string(FIND "${out}${err}" "${A_CONTAINS}" pos)
    if(pos EQUAL -1)
      message(FATAL_ERROR "${A_NAME}: output lacks '${A_CONTAINS}'\nstdout:\n${out}\nstderr:\n${err}")
    endif()
  endif()
endfunction()

expect_run(NAME help ARGS --help EXIT 0 CONTAINS "bench")
expect_run(NAME bench_help ARGS bench --help EXIT 0 CONTAINS "--seeds=1")
expect_run(NAME unknown_flag ARGS bench --no-such-flag EXIT 2 CONTAINS "unknown flag --no-such-flag")
expect_run(NAME unknown_command ARGS frobnicate EXIT 2 CONTAINS "unknown command")
expect_run(NAME unknown_case ARGS play --case nope EXIT 2 CONTAINS "unknown case 'nope'")
expect_run(NAME list ARGS cases list EXIT 0 CONTAINS "cardiology_inferior_stemi")
expect_run(NAME show_hides ARGS cases show cardiology_inferior_stemi EXIT 0 CONTAINS "doctor's view")
expect_run(NAME show_reveal ARGS cases show cardiology_inferior_stemi --reveal EXIT 0 CONTAINS "I21.19")
expect_run(NAME validate_missing ARGS cases validate /no/such/dir EXIT 1 CONTAINS "does not exist")
expect_run(NAME play_pipe ARGS play --case cardiology_inferior_stemi --seed 3 EXIT 0
  INPUT "Does the pain go anywhere?\nORDER: ecg, troponin\nDIAGNOSIS: inferior STEMI\n"
  CONTAINS "judge:            5/5, correct")
expect_run(NAME play_eof ARGS play --case cardiology_inferior_stemi EXIT 0
  INPUT "Any fever?\n" CONTAINS "input ended before a diagnosis")
expect_run(NAME play_after_bad ARGS play --case cardiology_inferior_stemi EXIT 0
  INPUT "ORDER:\nEXAMINE: heart\nDIAGNOSIS: gout\n" CONTAINS "Invalid action")

expect_run(NAME bad_noise ARGS bench --noise chaotic EXIT 2 CONTAINS "unknown noise profile 'chaotic'")
expect_run(NAME bad_rate ARGS bench --noise patient.omission=2 EXIT 2 CONTAINS "must be in [0, 1]")
expect_run(NAME bad_persona ARGS play --case cardiology_inferior_stemi --persona temperament=grumpy
  EXIT 2 CONTAINS "unknown temperament 'grumpy'")
expect_run(NAME noisy_play ARGS play --case cardiology_inferior_stemi --seed 3 --noise hostile EXIT 0
  INPUT "When did it start?\nDoes it spread?\nDIAGNOSIS: STEMI\n" CONTAINS "noise:            hostile")
expect_run(NAME ablation ARGS bench --case cardiology_inferior_stemi,neurology_myasthenia_gravis
  --noise-ablation EXIT 0 CONTAINS "exam.measurement_error")

# Import: bad records are reported by line, the rest imported; exit 1 unless --skip-bad.
set(fixtures "${CMAKE_CURRENT_LIST_DIR}/../../data/importers")
set(imp "${CMAKE_CURRENT_BINARY_DIR}/cli_import")
file(REMOVE_RECURSE ${imp})
expect_run(NAME import_bad ARGS cases import --format mediq ${fixtures}/mediq_small.jsonl ${imp}/mq
  EXIT 1 CONTAINS "mediq_small.jsonl:2: skipped: duplicate id 1")
expect_run(NAME import_skip ARGS cases import --format agentclinic ${fixtures}/agentclinic_small.jsonl
  ${imp}/ac --skip-bad EXIT 0 CONTAINS "imported 1 cases")
expect_run(NAME import_validate ARGS cases validate ${imp}/ac EXIT 0 CONTAINS "1 valid, 0 invalid")
expect_run(NAME import_play ARGS play --cases ${imp}/ac --case agentclinic_0001 EXIT 0
  INPUT "What happened to your knee?\nORDER: uric acid, synovial smell test\nDIAGNOSIS: gout\n"
  CONTAINS "Odourless")
expect_run(NAME import_format ARGS cases import --format csv a b EXIT 2 CONTAINS "unknown import format")

# Run directories: two shards, a report that merges them, an export.
set(rd "${CMAKE_CURRENT_BINARY_DIR}/cli_runs")
file(REMOVE_RECURSE ${rd})
expect_run(NAME shard0 ARGS bench --case cardiology_inferior_stemi,neurology_myasthenia_gravis --seeds 2
  --shard 0/2 --run-dir ${rd}/s0 EXIT 0 CONTAINS "overall")
expect_run(NAME shard1 ARGS bench --case cardiology_inferior_stemi,neurology_myasthenia_gravis --seeds 2
  --shard 1/2 --run-dir ${rd}/s1 EXIT 0 CONTAINS "overall")
expect_run(NAME report ARGS report ${rd}/s0 ${rd}/s1 --html ${rd}/r.html --markdown ${rd}/r.md
  EXIT 0 CONTAINS "| scripted | all | 4 |")
expect_run(NAME export ARGS export ${rd}/s0 ${rd}/s1 --jsonl ${rd}/e.jsonl EXIT 0 CONTAINS "wrote 4 episodes")
expect_run(NAME report_missing ARGS report /no/such/run EXIT 1 CONTAINS "not a run directory")
expect_run(NAME weights ARGS play --case cardiology_inferior_stemi --reward-weights diagnosis=2,rubric=0
  EXIT 0 INPUT "DIAGNOSIS: STEMI\n" CONTAINS "reward:           2.0000")
expect_run(NAME bad_weights ARGS bench --reward-weights speed=3 EXIT 2 CONTAINS "unknown weight 'speed'")
expect_run(NAME bad_shard ARGS bench --shard 2/2 EXIT 2 CONTAINS "--shard must be i/N")

# bench --json twice with the same flags gives the same bytes.
set(j1 "${CMAKE_CURRENT_BINARY_DIR}/cli_bench1.json")
set(j2 "${CMAKE_CURRENT_BINARY_DIR}/cli_bench2.json")
expect_run(NAME bench1 ARGS bench --seeds 2 --threads 2 --json ${j1} EXIT 0 CONTAINS "overall")
expect_run(NAME bench2 ARGS bench --seeds 2 --threads 1 --json ${j2} EXIT 0 CONTAINS "overall")
file(READ ${j1} a)
file(READ ${j2} b)
if(NOT a STREQUAL b)
  message(FATAL_ERROR "bench --json differs between two runs with the same flags")
endif()
