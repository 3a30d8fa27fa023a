# report oracles: the SVG plots and tables (through tests/report/driver_report) against numpy,
# scipy and xml.etree; `leakbound plot` end to end on files made by `leakbound bound`.
lb_oracle_test(report_svg report_svg.py)
lb_oracle_test(report_cli_plot report_cli_plot.py)
