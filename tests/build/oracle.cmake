# The build states the truth: each module's lb_module(...) line in CMakeLists.txt names exactly
# the modules whose symbols its library needs (nm), and no module includes another's private
# header.
lb_oracle_test(build_module_deps build_module_deps.py)
# libleakbound.so exports exactly what include/leakbound/*.h declares, each marked LB_API; one
# version everywhere.
lb_oracle_test(build_exports build_exports.py)
# Every public header opens with its contract and every public function has one above it.
lb_oracle_test(build_contracts build_contracts.py)
