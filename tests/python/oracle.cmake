# python/leakbound (ctypes over libleakbound.so): every function against the CLI (bit-equal),
# leakbound.conbo against an independent numpy conbo 0.1, error paths, memory over 10,000
# calls, and installation (cmake --install, pkg-config, pip install ./python offline).
# The tests load this build's shared library through LEAKBOUND_LIB. In a sanitizer build the
# library needs the ASan runtime first in the process: it is preloaded into Python only (the
# scripts drop LD_PRELOAD for the programs they start), with leak detection off since the
# interpreter itself keeps memory until exit.
set(LB_PY_ENV "LEAKBOUND_LIB=$<TARGET_FILE:leakbound_shared>")
if(LB_SANITIZE)
  execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=libasan.so
                  OUTPUT_VARIABLE LB_LIBASAN OUTPUT_STRIP_TRAILING_WHITESPACE)
  list(APPEND LB_PY_ENV "LD_PRELOAD=${LB_LIBASAN}" "ASAN_OPTIONS=detect_leaks=0")
endif()
foreach(t cli conbo errors memory install eval)
  lb_oracle_test(python_${t} python_${t}.py)
  set_property(TEST oracle.python_${t} APPEND PROPERTY ENVIRONMENT ${LB_PY_ENV})
  set_property(TEST oracle.python_${t} APPEND PROPERTY LABELS python)
endforeach()
# leakbound.JudgeLabelWarning: score's and eval's judge label warning in Python is the CLI's.
lb_oracle_test(python_judge_warn python_judge_warn.py)
set_property(TEST oracle.python_judge_warn APPEND PROPERTY ENVIRONMENT ${LB_PY_ENV})
set_property(TEST oracle.python_judge_warn APPEND PROPERTY LABELS python)
# leakbound.bound_file: `leakbound bound FILE` in-process, its text the CLI's stdout.
lb_oracle_test(python_bound_file python_bound_file.py)
set_property(TEST oracle.python_bound_file APPEND PROPERTY ENVIRONMENT ${LB_PY_ENV})
set_property(TEST oracle.python_bound_file APPEND PROPERTY LABELS python)
# eval --samples's progress (CLI line; SIGINT in Python's eval(samples=...) leaves out as it
# was) and the lenient-CSV data warning: CLI text exactly, Python's DataWarning the same.
lb_oracle_test(python_samples_progress python_samples_progress.py)
set_property(TEST oracle.python_samples_progress APPEND PROPERTY ENVIRONMENT ${LB_PY_ENV})
set_property(TEST oracle.python_samples_progress APPEND PROPERTY LABELS python)
# progress= in leakbound.sample/eval (the library's totals, rate, ETA; True stops, out
# untouched) and LEAKBOUND_ISA applied at import (the CLI's message; the CLI's bits).
lb_oracle_test(python_progress python_progress.py)
set_property(TEST oracle.python_progress APPEND PROPERTY ENVIRONMENT ${LB_PY_ENV})
set_property(TEST oracle.python_progress APPEND PROPERTY LABELS python)
