/* Robust tabu search for the QAP, written from Taillard (1991), "Robust taboo
 * search for the quadratic assignment problem", Parallel Computing 17.
 * Benchmark anchor of bench/bench_qaplib.py (compiled there with gcc -O2).
 *
 * Usage: rots FILE.dat SECONDS SEED   ->  prints "cost p_1 ... p_n" (0-based),
 *        and the number of iterations on stderr
 *
 * Objective sum_ij a[i][j] b[p[i]][p[j]] (QAPLIB: A then B in FILE.dat).
 * As in the paper: the neighbourhood is every swap of two units, the matrix of
 * swap costs is kept up to date in O(n^2) per iteration (O(1) per pair not
 * touching the swapped units); a move is tabu when it puts both units back on
 * locations each occupied within the last s iterations, s drawn uniformly in
 * [0.9 n, 1.1 n] and redrawn every 2 * 1.1 n iterations; a tabu move is
 * allowed when it improves the best solution (aspiration by objective); a
 * move putting both units on locations neither occupied for the last t = 2 n^2
 * iterations is taken with priority (long-term aspiration, diversification).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef long long ll;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static unsigned long long rng_state;
static double unif(void) { /* xorshift64*, uniform in [0, 1) */
    rng_state ^= rng_state >> 12; rng_state ^= rng_state << 25; rng_state ^= rng_state >> 27;
    return (double)((rng_state * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}
static int irand(int lo, int hi) { return lo + (int)(unif() * (hi - lo + 1)); } /* in [lo, hi] */

static int n;
static ll **a, **b, **delta;

static ll **matrix(void) {
    ll **m = malloc(n * sizeof(ll *));
    for (int i = 0; i < n; i++) m[i] = calloc(n, sizeof(ll));
    return m;
}

/* cost change of swapping the locations of units r and s, from scratch: O(n) */
static ll full_delta(const int *p, int r, int s) {
    ll d = (a[r][r] - a[s][s]) * (b[p[s]][p[s]] - b[p[r]][p[r]])
         + (a[r][s] - a[s][r]) * (b[p[s]][p[r]] - b[p[r]][p[s]]);
    for (int k = 0; k < n; k++)
        if (k != r && k != s)
            d += (a[k][r] - a[k][s]) * (b[p[k]][p[s]] - b[p[k]][p[r]])
               + (a[r][k] - a[s][k]) * (b[p[s]][p[k]] - b[p[r]][p[k]]);
    return d;
}

/* cost change of swapping i and j (disjoint from r, s) once r and s were swapped: O(1) */
static ll part_delta(const int *p, int i, int j, int r, int s) {
    return delta[i][j]
        + (a[r][i] - a[r][j] + a[s][j] - a[s][i]) * (b[p[s]][p[i]] - b[p[s]][p[j]] + b[p[r]][p[j]] - b[p[r]][p[i]])
        + (a[i][r] - a[j][r] + a[j][s] - a[i][s]) * (b[p[i]][p[s]] - b[p[j]][p[s]] + b[p[j]][p[r]] - b[p[i]][p[r]]);
}

static ll cost_of(const int *p) {
    ll c = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) c += a[i][j] * b[p[i]][p[j]];
    return c;
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: rots FILE.dat SECONDS SEED\n"); return 2; }
    FILE *f = fopen(argv[1], "r");
    if (!f || fscanf(f, "%d", &n) != 1) { fprintf(stderr, "cannot read %s\n", argv[1]); return 2; }
    a = matrix(); b = matrix(); delta = matrix();
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                if (fscanf(f, "%lld", k ? &b[i][j] : &a[i][j]) != 1) { fprintf(stderr, "short file\n"); return 2; }
    fclose(f);
    double deadline = now() + atof(argv[2]);
    rng_state = 0x9E3779B97F4A7C15ULL * (unsigned long long)(atoll(argv[3]) + 1);

    int *p = malloc(n * sizeof(int)), *best_p = malloc(n * sizeof(int));
    for (int i = 0; i < n; i++) p[i] = i;
    for (int i = n - 1; i > 0; i--) { int j = irand(0, i), t = p[i]; p[i] = p[j]; p[j] = t; }
    ll **left = matrix(); /* left[i][l]: last iteration at which unit i left location l */
    for (int i = 0; i < n; i++)
        for (int l = 0; l < n; l++) left[i][l] = -(ll)(n * i + l) - 1;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) delta[i][j] = full_delta(p, i, j);
    ll cost = cost_of(p), best = cost;
    for (int i = 0; i < n; i++) best_p[i] = p[i];

    int s_min = 9 * n / 10, s_max = 11 * n / 10 + 1;
    if (s_min < 2) s_min = 2;
    ll t_long = 2LL * n * n, s = irand(s_min, s_max);
    ll it;
    for (it = 1; n > 1 && ((it & 63) || now() < deadline); it++) {
        if (it % (2 * s_max) == 0) s = irand(s_min, s_max);
        int ri = -1, rj = -1, asp = 0;
        ll min_d = 0;
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++) {
                ll d = delta[i][j], li = left[i][p[j]], lj = left[j][p[i]];
                int allowed = li < it - s || lj < it - s;            /* not tabu */
                int aspired = (li < it - t_long && lj < it - t_long) /* long-term aspiration */
                              || cost + d < best;                    /* aspiration by objective */
                if ((aspired && !asp) || (aspired == asp && (allowed || aspired) && (ri < 0 || d < min_d))) {
                    ri = i; rj = j; min_d = d; asp = aspired;
                }
            }
        if (ri < 0) { ri = 0; rj = 1; min_d = delta[0][1]; } /* every move tabu: take any */
        left[ri][p[ri]] = it; left[rj][p[rj]] = it;
        int t = p[ri]; p[ri] = p[rj]; p[rj] = t;
        cost += min_d;
        if (cost < best) { best = cost; for (int i = 0; i < n; i++) best_p[i] = p[i]; }
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
                delta[i][j] = (i != ri && i != rj && j != ri && j != rj) ? part_delta(p, i, j, ri, rj)
                                                                          : full_delta(p, i, j);
    }
    printf("%lld", cost_of(best_p));
    for (int i = 0; i < n; i++) printf(" %d", best_p[i]);
    printf("\n");
    fprintf(stderr, "%lld iterations\n", it - 1);
    return 0;
}
