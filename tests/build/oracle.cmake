# The build states the truth: each module's lb_module(...) line in CMakeLists.txt names exactly
# the modules whose symbols its library needs (nm), and no module includes another's private
# header.
lb_oracle_test(build_module_deps build_module_deps.py)
