/* A program built against the installed library by the install oracles (install_pkgconfig.py,
 * python_install.py): prints one Clopper-Pearson bound, which they compare with scipy's. */
#include <stdio.h>
#include <leakbound/stats.h>
int main(void) {
    double v;
    if (lb_stats_cp_upper(5, 128, 0.01, &v, NULL)) return 1;
    printf("%.17g\n", v);
    return 0;
}
