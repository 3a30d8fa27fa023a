# `mpirun -np 2|3 leakbound sample|eval` against one process (tests/mpi/check_mpi.py):
# byte-identical outputs, --resume with another rank count, a failing rank. Skipped (exit 77)
# without mpirun or without MPI in the build. mismatch: ranks given other model folders or data
# are refused naming both; exit_status: one exit status for a runtime failure, every run.
foreach(case eval eval_few sample_resume failure mismatch exit_status)
  add_test(NAME mpi.${case}
    COMMAND ${LB_PYTHON} ${CMAKE_SOURCE_DIR}/tests/mpi/check_mpi.py ${case} ${LB_HAVE_MPI})
  set_tests_properties(mpi.${case} PROPERTIES LABELS "mpi" SKIP_RETURN_CODE 77 TIMEOUT 120
    ENVIRONMENT "LB_SOURCE_DIR=${CMAKE_SOURCE_DIR};LB_CLI=${CMAKE_BINARY_DIR}/leakbound")
endforeach()
