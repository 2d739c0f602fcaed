#!/usr/bin/env Rscript
# Independent reference values for tests/test_kgroups.py (k-level group tests), computed in R.
#
# R is NOT needed to run the tests: the JSON this script writes is committed. To remake it:
#
#   apt-get install -y --no-install-recommends r-base-core
#   cd <repository root> && Rscript tests/reference/make_reference_kgroups.R
#
# It writes tests/reference/r_reference_kgroups.json next to this script, with every number
# printed by sprintf("%.17g") (full double precision; jsonlite stops at 15 digits). Inputs
# are echoed in the JSON so that the Python tests read the data from the same place as the
# results. NA and NaN are written as the strings "NA" and "NaN".
#
# What is computed:
#   * stats::fisher.test(x, workspace = 2e8)$p.value for 2x2, k x 2 (k = 3..6), 2 x c and
#     r x c tables, including zero cells, an empty row, tied table probabilities, tiny p,
#     and tables with n = 200, 500 and 1000 (all exact: FEXACT, never simulated). R uses
#     relErr = 1 + 1e-7 for 2x2 tables and FEXACT's tol = 3.45254e-7 (log scale) otherwise.
#   * one simulated p (fisher.test(simulate.p.value = TRUE, B = 1e5) after set.seed(1)), to
#     check that our Monte Carlo p agrees with R's within Monte Carlo error;
#   * stats::kruskal.test(y ~ g): H (tie-corrected), df, p; and epsilon-squared H / (n - 1);
#   * stats::oneway.test(y ~ g, var.equal = FALSE): F, num df, denom df, p.

script <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
out_file <- file.path(dirname(normalizePath(script)), "r_reference_kgroups.json")

# ----------------------------------------------------------------------------- JSON writer
num <- function(v) {
  ifelse(is.nan(v), "\"NaN\"", ifelse(is.na(v), "\"NA\"", sprintf("%.17g", v)))
}
to_json <- function(x, indent = "") {
  inner <- paste0(indent, "  ")
  if (is.list(x)) {
    if (!is.null(names(x))) {
      items <- vapply(names(x), function(k) paste0(inner, "\"", k, "\": ", to_json(x[[k]], inner)), "")
      return(paste0("{\n", paste(items, collapse = ",\n"), "\n", indent, "}"))
    }
    items <- vapply(x, function(v) paste0(inner, to_json(v, inner)), "")
    return(paste0("[\n", paste(items, collapse = ",\n"), "\n", indent, "]"))
  }
  if (is.character(x)) {
    s <- paste0("\"", gsub("\"", "\\\\\"", x), "\"")
    return(if (length(x) == 1 && is.null(attr(x, "array"))) s else paste0("[", paste(s, collapse = ", "), "]"))
  }
  s <- num(as.numeric(x))
  if (length(x) == 1 && is.null(attr(x, "array"))) s else paste0("[", paste(s, collapse = ", "), "]")
}
arr <- function(v) structure(v, array = TRUE)  # always a JSON array, even of length 1

# ----------------------------------------------------------------------------- Fisher
# Tables row by row (rows = levels of a grouping, columns = agree / not agree, or any
# second classification).
fisher_tables <- list(
  # 2x2: the same as scipy.stats.fisher_exact
  t2x2_typical = rbind(c(8, 2), c(1, 5)),
  t2x2_moderate = rbind(c(12, 9), c(7, 16)),
  t2x2_unbalanced = rbind(c(1, 40), c(5, 6)),
  t2x2_zero = rbind(c(3, 0), c(2, 4)),
  t2x2_large = rbind(c(60, 190), c(80, 170)),
  # worked by hand in tests/test_kgroups.py
  hand_3x2_ties = rbind(c(2, 0), c(1, 1), c(0, 2)),
  hand_3x2 = rbind(c(3, 0), c(0, 3), c(1, 1)),
  # k x 2
  k3_n30 = rbind(c(7, 3), c(4, 6), c(2, 8)),
  k4_n44 = rbind(c(8, 3), c(6, 5), c(4, 7), c(9, 2)),
  k5_n60 = rbind(c(10, 2), c(8, 4), c(6, 6), c(5, 7), c(3, 9)),
  k4_zero_cells = rbind(c(5, 0), c(3, 2), c(0, 6), c(4, 4)),
  k3_empty_row = rbind(c(4, 2), c(0, 0), c(1, 5)),
  k4_equal_margins = rbind(c(6, 4), c(4, 6), c(6, 4), c(4, 6)),
  k3_tiny_p = rbind(c(20, 0), c(0, 20), c(10, 10)),
  k4_n200 = rbind(c(30, 20), c(25, 25), c(15, 35), c(28, 22)),
  k4_n200_unbalanced = rbind(c(2, 8), c(10, 50), c(20, 70), c(30, 10)),
  k6_n300 = rbind(c(30, 20), c(25, 25), c(15, 35), c(28, 22), c(20, 30), c(33, 17)),
  k5_n500 = rbind(c(70, 30), c(65, 35), c(60, 40), c(55, 45), c(75, 25)),
  k4_n1000 = rbind(c(60, 190), c(70, 180), c(55, 195), c(80, 170)),
  k6_n1000 = rbind(c(60, 107), c(70, 97), c(55, 112), c(80, 86), c(50, 117), c(75, 91)),
  # 2 x c and r x c
  r2x3 = rbind(c(8, 2, 3), c(1, 5, 4)),
  r2x4 = rbind(c(5, 2, 3, 0), c(1, 4, 2, 6)),
  r3x3_small = rbind(c(3, 1, 0), c(1, 2, 2), c(0, 1, 3)),
  r3x3_n60 = rbind(c(8, 6, 6), c(5, 9, 6), c(7, 4, 9)),
  r3x3_zeros = rbind(c(6, 0, 1), c(0, 5, 0), c(2, 1, 4)),
  r3x4_n60 = rbind(c(5, 3, 4, 3), c(4, 6, 2, 3), c(6, 4, 5, 5)),
  r4x3 = rbind(c(4, 1, 0), c(2, 3, 1), c(1, 2, 4), c(0, 2, 5))
)

fisher_ref <- lapply(fisher_tables, function(tab) {
  list(table = lapply(seq_len(nrow(tab)), function(i) arr(tab[i, ])), p = fisher.test(tab, workspace = 2e8)$p.value)
})

set.seed(1)
sim_tab <- fisher_tables$k6_n1000
sim_B <- 1e5
fisher_sim_ref <- list(
  table = lapply(seq_len(nrow(sim_tab)), function(i) arr(sim_tab[i, ])),
  B = sim_B,
  seed = 1,
  p = fisher.test(sim_tab, simulate.p.value = TRUE, B = sim_B)$p.value
)

# ----------------------------------------------------------------------------- Kruskal-Wallis
kw_sets <- list(
  # Hollander & Wolfe (1973), p. 116, the example of ?kruskal.test: no ties
  no_ties = list(c(2.9, 3.0, 2.5, 2.6, 3.2), c(3.8, 2.7, 4.0, 2.4), c(2.8, 3.4, 3.7, 2.2, 2.0)),
  # Likert-type answers 1..5 in four groups: many ties
  ties_4 = list(c(3, 4, 4, 5, 2, 3), c(2, 2, 3, 3, 1), c(4, 5, 5, 4, 3, 5, 4), c(1, 2, 2, 3)),
  # subscale means (items 1..5 averaged) in three groups, with ties
  scores_3 = list(
    c(3.25, 3.5, 3.5, 4.0, 2.75, 3.75, 4.25),
    c(2.5, 3.0, 3.25, 2.75, 3.0, 2.5),
    c(4.0, 4.5, 3.75, 4.25, 4.0, 4.75, 3.5, 4.5)
  ),
  two_groups = list(c(1.1, 3.4, 5.2, 7.8), c(2.0, 4.5, 6.1, 8.3, 9.9, 10.2))
)
kw_ref <- lapply(kw_sets, function(groups) {
  y <- unlist(groups)
  g <- factor(rep(seq_along(groups), lengths(groups)))
  r <- kruskal.test(y ~ g)
  h <- unname(r$statistic)
  list(groups = lapply(groups, arr), h = h, df = unname(r$parameter), p = r$p.value, epsilon_squared = h / (length(y) - 1))
})

# ----------------------------------------------------------------------------- Welch ANOVA
welch_sets <- list(
  three = list(c(17, 20, 14, 22, 19, 25, 16), c(12, 15, 9, 18, 11), c(20, 24, 22, 27, 23, 21)),
  four_unequal = list(
    c(3.2, 3.8, 4.1, 2.9, 3.5, 3.9, 4.4, 3.1),
    c(2.1, 4.9, 1.5, 3.8, 5.2, 2.6),
    c(4.0, 4.2, 4.1, 3.9, 4.3),
    c(2.5, 3.0, 3.5, 2.0, 4.5, 3.25, 2.75, 3.75, 1.5, 4.0)
  ),
  two = list(c(17, 20, 14, 22, 19, 25, 16), c(12, 15, 9, 18, 11)),
  scores_3 = kw_sets$scores_3
)
welch_ref <- lapply(welch_sets, function(groups) {
  y <- unlist(groups)
  g <- factor(rep(seq_along(groups), lengths(groups)))
  r <- oneway.test(y ~ g, var.equal = FALSE)
  list(groups = lapply(groups, arr), f = unname(r$statistic), df1 = unname(r$parameter[1]), df2 = unname(r$parameter[2]), p = r$p.value)
})

# ----------------------------------------------------------------------------- write
ref <- list(
  meta = list(
    r_version = R.version.string,
    script = "tests/reference/make_reference_kgroups.R",
    note = "fisher.test(workspace = 2e8) exact p; simulated p with set.seed(1); kruskal.test and oneway.test by formula"
  ),
  fisher = fisher_ref,
  fisher_simulated = fisher_sim_ref,
  kruskal = kw_ref,
  welch = welch_ref
)
writeLines(to_json(ref), out_file, useBytes = TRUE)
cat("wrote", out_file, "\n")
