#!/usr/bin/env Rscript
# Independent reference values for tests/test_statistics.py, computed in R.
#
# How this file was made and how to remake it (R is NOT needed to run the tests: the JSON
# it writes is committed):
#
#   apt-get install -y --no-install-recommends r-base-core r-cran-psych r-cran-jsonlite
#   cd /work/main && Rscript tests/reference/make_reference.R
#
# It writes tests/reference/r_reference.json next to this script. Every data set is
# written inline below AND inline in tests/test_statistics.py; the JSON echoes the inputs
# so a test can check that the two copies have not drifted apart. R and package versions
# are recorded under "meta". Numbers are written with 15 significant digits; Inf, -Inf,
# NA and NaN are written as the strings "Inf", "-Inf", "NA" and "NaN".
#
# What is computed:
#   * psych::alpha(use = "complete.obs"): raw_alpha (listwise), item.stats$r.drop,
#     alpha.drop$raw_alpha, and the Feldt CI. psych's $feldt calls
#     alpha.ci(raw_alpha, n.obs = nrow(x), n.var), i.e. n counts EVERY row, including
#     rows dropped listwise; the CI on the complete rows only is recorded separately as
#     alpha.ci(raw_alpha, n_complete, k). For data with missing answers the pipeline
#     uses the latter (reliability.subscale_table passes the complete-case n).
#     psych's default use = "pairwise" is recorded too, to show the listwise rule matters.
#   * stats::fisher.test on 2x2 tables: p.value, estimate (conditional MLE), conf.int;
#     and the same estimate and CI by fisher.test's algorithm at a tight root tolerance.
#   * stats::p.adjust, methods "holm" and "BH", with and without NA.
#   * stats::wilcox.test: W (= U of the first group) and p; normal approximation
#     (exact = FALSE, correct = TRUE) on data with ties, and on data without ties both
#     exact and by the normal approximation.
#   * stats::t.test(var.equal = FALSE): Welch t, df, p.

suppressPackageStartupMessages({
  library(psych)
  library(jsonlite)
})

out_file <- file.path(dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))), "r_reference.json")

# ----------------------------------------------------------------------------- alpha
# Rows are respondents, columns items, scores -2..2.
alpha_sets <- list(
  complete_8x4 = rbind(
    c( 2,  1,  2,  1),
    c( 1,  1,  0,  1),
    c( 0, -1,  0,  1),
    c( 2,  2,  1,  2),
    c(-1,  0, -1,  0),
    c( 1,  0,  1, -1),
    c(-2, -1, -1,  0),
    c( 1,  2,  2,  1)
  ),
  # The rows above plus two incomplete rows (3rd and 7th): listwise alpha uses 8 rows.
  missing_10x4 = rbind(
    c( 2,  1,  2,  1),
    c( 1,  1,  0,  1),
    c( 0, NA,  1,  0),
    c( 0, -1,  0,  1),
    c( 2,  2,  1,  2),
    c(-1,  0, -1,  0),
    c( 2,  1, NA,  2),
    c( 1,  0,  1, -1),
    c(-2, -1, -1,  0),
    c( 1,  2,  2,  1)
  ),
  # Five items, twelve respondents, no missing values.
  complete_12x5 = rbind(
    c( 2,  2,  1,  2,  1),
    c( 1,  1,  1,  0,  1),
    c( 0,  1, -1,  0,  0),
    c( 2,  1,  2,  2,  2),
    c(-1, -1,  0, -1,  0),
    c( 1,  2,  1,  1,  0),
    c( 0,  0,  0,  1, -1),
    c( 1,  0,  1,  1,  1),
    c(-2, -1, -1, -2, -1),
    c( 2,  2,  2,  1,  2),
    c( 0, -1,  0,  0,  1),
    c( 1,  1,  0,  1,  1)
  ),
  # The 3 x 2 example worked by hand in the Python test: alpha = 12/13.
  hand_3x2 = rbind(
    c(1, 2),
    c(2, 2),
    c(3, 4)
  )
)

alpha_ref <- lapply(alpha_sets, function(m) {
  colnames(m) <- paste0("i", seq_len(ncol(m)))
  d <- as.data.frame(m)
  a <- psych::alpha(d, use = "complete.obs", warnings = FALSE, check.keys = FALSE)
  ap <- psych::alpha(d, warnings = FALSE, check.keys = FALSE)  # psych default: pairwise
  k <- ncol(m)
  n_complete <- sum(complete.cases(m))
  raw <- a$total$raw_alpha
  ci_complete <- psych::alpha.ci(raw, n_complete, k)
  list(
    data = unname(lapply(seq_len(nrow(m)), function(i) unname(m[i, ]))),
    n_rows = nrow(m),
    n_complete = n_complete,
    k = k,
    raw_alpha = raw,
    raw_alpha_pairwise = ap$total$raw_alpha,
    r_drop = unname(a$item.stats$r.drop),
    alpha_drop = unname(a$alpha.drop$raw_alpha),
    feldt_psych = list(n = nrow(m), lower = unname(unlist(a$feldt$lower.ci)), upper = unname(unlist(a$feldt$upper.ci))),
    feldt_complete = list(n = n_complete, lower = unname(unlist(ci_complete$lower.ci)), upper = unname(unlist(ci_complete$upper.ci)))
  )
})

# ----------------------------------------------------------------------------- Fisher
# Row-major 2x2 tables: rows are the two groups, columns positive / not positive.
fisher_tables <- list(
  typical = c(8, 2, 1, 5),
  moderate = c(12, 9, 7, 16),
  zero_b = c(3, 0, 2, 4),      # OR = Inf, finite lower bound
  zero_a = c(0, 5, 4, 3),      # OR = 0, finite upper bound
  unbalanced = c(1, 40, 5, 6),
  unbalanced_2 = c(25, 1, 3, 2),
  empty_row = c(0, 0, 3, 4)    # no information; the pipeline reports p = 1, OR NaN
)
# fisher.test finds the conditional MLE and the CI bounds with uniroot() at its default
# tolerance (.Machine$double.eps^0.25 = 1.2e-4) on the scale t = OR (when OR < 1) or
# t = 1/OR (when OR > 1), so an OR of 15 is only good to ~2e-3 relative and a bound of
# 1000 to ~10%. fisher_tight() repeats fisher.test's own 2x2 algorithm (the same
# closures, copied from stats::fisher.test in R 4.2.2) with uniroot(tol = 1e-13), to
# give values accurate to ~1e-10, against which the pipeline's scipy numbers are checked.
fisher_tight <- function(tab, conf.level = 0.95, tol = 1e-13) {
  m <- sum(tab[, 1L]); n <- sum(tab[, 2L]); k <- sum(tab[1L, ]); x <- tab[1L, 1L]
  lo <- max(0L, k - n); hi <- min(k, m); support <- lo:hi
  logdc <- dhyper(support, m, n, k, log = TRUE)
  dnhyper <- function(ncp) { d <- logdc + log(ncp) * support; d <- exp(d - max(d)); d / sum(d) }
  mnhyper <- function(ncp) { if (ncp == 0) return(lo); if (ncp == Inf) return(hi); sum(support * dnhyper(ncp)) }
  pnhyper <- function(q, ncp = 1, upper.tail = FALSE) {
    if (ncp == 1) return(if (upper.tail) phyper(x - 1, m, n, k, lower.tail = FALSE) else phyper(x, m, n, k))
    if (ncp == 0) return(as.numeric(if (upper.tail) q <= lo else q >= lo))
    if (ncp == Inf) return(as.numeric(if (upper.tail) q <= hi else q >= hi))
    sum(dnhyper(ncp)[if (upper.tail) support >= q else support <= q])
  }
  ur <- function(f, lower, upper) uniroot(f, c(lower, upper), tol = tol)$root
  mle <- function(x) {
    if (x == lo) return(0); if (x == hi) return(Inf)
    mu <- mnhyper(1)
    if (mu > x) ur(function(t) mnhyper(t) - x, 0, 1)
    else if (mu < x) 1 / ur(function(t) mnhyper(1 / t) - x, .Machine$double.eps, 1)
    else 1
  }
  ncp.U <- function(x, alpha) {
    if (x == hi) return(Inf)
    p <- pnhyper(x, 1)
    if (p < alpha) ur(function(t) pnhyper(x, t) - alpha, 0, 1)
    else if (p > alpha) 1 / ur(function(t) pnhyper(x, 1 / t) - alpha, .Machine$double.eps, 1)
    else 1
  }
  ncp.L <- function(x, alpha) {
    if (x == lo) return(0)
    p <- pnhyper(x, 1, upper.tail = TRUE)
    if (p > alpha) ur(function(t) pnhyper(x, t, upper.tail = TRUE) - alpha, 0, 1)
    else if (p < alpha) 1 / ur(function(t) pnhyper(x, 1 / t, upper.tail = TRUE) - alpha, .Machine$double.eps, 1)
    else 1
  }
  alpha <- (1 - conf.level) / 2
  list(estimate = mle(x), conf_int = c(ncp.L(x, alpha), ncp.U(x, alpha)))
}

fisher_ref <- lapply(fisher_tables, function(v) {
  tab <- matrix(v, nrow = 2, byrow = TRUE)
  r <- fisher.test(tab)
  tight <- if (any(rowSums(tab) == 0) || any(colSums(tab) == 0)) list(estimate = NA, conf_int = c(NA, NA)) else fisher_tight(tab)
  list(
    table = v, p = r$p.value, estimate = unname(r$estimate), conf_int = as.numeric(r$conf.int),
    estimate_tight = tight$estimate, conf_int_tight = tight$conf_int
  )
})

# ----------------------------------------------------------------------------- p.adjust
padj_p <- c(0.01, 0.04, 0.03, 0.04, 0.2, 0.5, 0.001, 0.8, 0.012, 0.3)
padj_na <- c(0.02, NA, 0.04, 0.001, NA, 0.5)
padj_ref <- list(
  p = padj_p,
  holm = p.adjust(padj_p, "holm"),
  BH = p.adjust(padj_p, "BH"),
  p_na = padj_na,
  holm_na = p.adjust(padj_na, "holm"),
  BH_na = p.adjust(padj_na, "BH")
)

# ----------------------------------------------------------------------------- wilcox / t
wx_ties <- list(x = c(3, 5, 5, 8, 10, 12), y = c(1, 2, 5, 6, 7))
wx_exact <- list(x = c(1.1, 3.4, 5.2, 7.8), y = c(2.0, 4.5, 6.1, 8.3, 9.9, 10.2))
w1 <- wilcox.test(wx_ties$x, wx_ties$y, exact = FALSE, correct = TRUE)
w2 <- wilcox.test(wx_exact$x, wx_exact$y, exact = TRUE)
w3 <- wilcox.test(wx_exact$x, wx_exact$y, exact = FALSE, correct = TRUE)  # no ties, but the normal approximation
wilcox_ref <- list(
  ties = list(x = wx_ties$x, y = wx_ties$y, W = unname(w1$statistic), p = w1$p.value, method = w1$method),
  exact = list(x = wx_exact$x, y = wx_exact$y, W = unname(w2$statistic), p = w2$p.value, method = w2$method),
  exact_as_normal = list(x = wx_exact$x, y = wx_exact$y, W = unname(w3$statistic), p = w3$p.value, method = w3$method)
)

tt_x <- c(17, 20, 14, 22, 19, 25, 16)
tt_y <- c(12, 15, 9, 18, 11)
tt <- t.test(tt_x, tt_y, var.equal = FALSE)
welch_ref <- list(x = tt_x, y = tt_y, t = unname(tt$statistic), df = unname(tt$parameter), p = tt$p.value)

# ----------------------------------------------------------------------------- write
ref <- list(
  meta = list(
    r_version = R.version.string,
    psych_version = as.character(packageVersion("psych")),
    jsonlite_version = as.character(packageVersion("jsonlite")),
    script = "tests/reference/make_reference.R",
    note = "psych$feldt uses n = all rows (n.obs = nrow(x)); feldt_complete uses the complete rows"
  ),
  alpha = alpha_ref,
  fisher = fisher_ref,
  p_adjust = padj_ref,
  wilcox = wilcox_ref,
  welch = welch_ref
)
writeLines(toJSON(ref, auto_unbox = TRUE, digits = NA, na = "string", pretty = TRUE), out_file, useBytes = TRUE)
cat("wrote", out_file, "\n")
