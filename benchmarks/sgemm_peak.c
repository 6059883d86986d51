/* Single-thread cblas_sgemm throughput of the OpenBLAS nas links (Debian's libopenblas),
 * on square and training-shaped problems; prints the best GFLOP/s over the shapes.
 * Built and run by benchmarks/training.sh: cc -O2 sgemm_peak.c -lopenblas */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(void) {
  openblas_set_num_threads(1);
  /* M x N x K: square, and the im2col shapes of a 1x1 convolution in a training step. */
  int shapes[][3] = {{512, 512, 512}, {1024, 1024, 1024}, {12544, 96, 32}, {3136, 144, 24}, {784, 192, 64}};
  double best = 0;
  for (unsigned s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
    int m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
    float *a = malloc(sizeof(float) * m * k), *b = malloc(sizeof(float) * k * n), *c = malloc(sizeof(float) * m * n);
    for (long i = 0; i < (long)m * k; i++) a[i] = (float)(i % 7) * 0.1f;
    for (long i = 0; i < (long)k * n; i++) b[i] = (float)(i % 5) * 0.1f;
    double flops = 2.0 * m * n * k, shapeBest = 0;
    int reps = (int)(2e9 / flops) + 1;
    for (int round = 0; round < 5; round++) {
      double t0 = now();
      for (int r = 0; r < reps; r++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a, k, b, n, 0.0f, c, n);
      double g = flops * reps / (now() - t0) / 1e9;
      if (g > shapeBest) shapeBest = g;
    }
    printf("sgemm %5d x %4d x %4d: %6.1f GFLOP/s\n", m, n, k, shapeBest);
    if (shapeBest > best) best = shapeBest;
    free(a); free(b); free(c);
  }
  printf("peak %.1f\n", best);
  return 0;
}
