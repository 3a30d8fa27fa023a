# cmake --install into a temporary prefix, then a program built with pkg-config against it.
lb_oracle_test(install_pkgconfig install_pkgconfig.py)
