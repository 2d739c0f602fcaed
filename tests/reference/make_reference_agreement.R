#!/usr/bin/env Rscript
# Independent reference values for tests/test_agreement.py, computed in R.
#
# How to remake them (R is NOT needed to run the tests: the JSON it writes is committed):
#
#   apt-get install -y --no-install-recommends r-base-core r-cran-psych r-cran-jsonlite
#   Rscript tests/reference/make_reference_agreement.R
#
# It writes tests/reference/r_reference_agreement.json next to this script.
# R's irr package (kappa2, kripp.alpha) is not packaged for Debian (no r-cran-irr) and CRAN
# cannot be reached here, so:
#   * Cohen's kappa comes from psych::cohen.kappa (on the units both coders coded);
#   * Krippendorff's alpha is written out below from Krippendorff (2011), "Computing
#     Krippendorff's alpha-reliability", for nominal data with any number of values and
#     coders and missing values. That function is first checked on the paper's own
#     example (4 observers x 12 units, nominal alpha = 0.743), and the check is recorded;
#   * percent agreement (all coders who coded a unit agree) and mean pairwise percent
#     agreement are plain counts.
# Each data set is a coders x units matrix of 1 (present), 0 (absent) or NA (the coder did
# not code the unit). Hand-worked sets are written inline here and in the test; random sets
# are drawn here (set.seed below) and read by the test from the JSON. NA is written "NA".

suppressPackageStartupMessages({
  library(psych)
  library(jsonlite)
})

out_file <- file.path(dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))), "r_reference_agreement.json")

# Krippendorff (2011), section C: coincidences o_ck = sum_u (number of c-k pairs in u) / (m_u - 1)
# over units with m_u >= 2 values; alpha = 1 - (n - 1) * sum_{c != k} o_ck / sum_{c != k} n_c n_k.
kalpha_nominal <- function(x) {
  values <- sort(unique(x[!is.na(x)]))
  o <- matrix(0, length(values), length(values))
  for (u in seq_len(ncol(x))) {
    v <- x[!is.na(x[, u]), u]
    m <- length(v)
    if (m < 2) next
    counts <- table(factor(v, levels = values))
    pairs <- outer(as.numeric(counts), as.numeric(counts)) - diag(as.numeric(counts), length(values))
    o <- o + pairs / (m - 1)
  }
  n_c <- rowSums(o)
  n <- sum(n_c)
  off <- row(o) != col(o)
  expected <- outer(n_c, n_c)
  1 - (n - 1) * sum(o[off]) / sum(expected[off])
}

pct_all_agree <- function(x) {
  agree <- 0
  pairable <- 0
  for (u in seq_len(ncol(x))) {
    v <- x[!is.na(x[, u]), u]
    if (length(v) < 2) next
    pairable <- pairable + 1
    agree <- agree + (length(unique(v)) == 1)
  }
  100 * agree / pairable
}

pct_pairwise <- function(x) {
  pcts <- c()
  for (i in 1:(nrow(x) - 1)) for (j in (i + 1):nrow(x)) {
    both <- !is.na(x[i, ]) & !is.na(x[j, ])
    if (any(both)) pcts <- c(pcts, 100 * mean(x[i, both] == x[j, both]))
  }
  mean(pcts)
}

kappa_two <- function(x) {
  both <- !is.na(x[1, ]) & !is.na(x[2, ])
  suppressWarnings(cohen.kappa(t(x[, both]))$kappa)
}

# --------------------------------------------------------------------------- check of kalpha_nominal
# Krippendorff (2011), p. 3 (nominal alpha = 0.743 in the paper).
k2011 <- rbind(
  c(1, 2, 3, 3, 2, 1, 4, 1, 2, NA, NA, NA),
  c(1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NA, 3),
  c(NA, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NA),
  c(1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NA)
)

# --------------------------------------------------------------------------- data sets
sets <- list(
  # tests/test_agreement.py: test_hand_two_coders
  hand_10x2 = rbind(
    c(1, 1, 0, 0, 1, 0, 1, 0, 0, 0),
    c(1, 0, 0, 0, 1, 1, 1, 0, 0, 0)
  ),
  # tests/test_agreement.py: test_hand_three_coders_with_missing
  hand_5x3 = rbind(
    c(1, 1, 0, 1, NA),
    c(1, 0, 0, 1, 0),
    c(1, NA, 0, 0, NA)
  )
)

# Random sets: a latent truth per unit (present with probability p), each coder flips it with
# probability flip, and each value is missing with probability miss.
set.seed(20150501)
draw <- function(coders, units, p, flip, miss) {
  truth <- rbinom(units, 1, p)
  x <- t(sapply(seq_len(coders), function(i) abs(truth - rbinom(units, 1, flip))))
  x[matrix(runif(coders * units) < miss, coders, units)] <- NA
  x
}
random_spec <- list(
  random_2x40 = c(2, 40, 0.3, 0.15, 0),
  random_2x60_missing = c(2, 60, 0.4, 0.2, 0.15),
  random_2x200_rare = c(2, 200, 0.05, 0.03, 0),
  random_3x50_missing = c(3, 50, 0.3, 0.15, 0.2),
  random_4x30_missing = c(4, 30, 0.5, 0.25, 0.25),
  random_5x25 = c(5, 25, 0.35, 0.1, 0)
)
for (name in names(random_spec)) {
  s <- random_spec[[name]]
  sets[[name]] <- draw(s[1], s[2], s[3], s[4], s[5])
}

results <- lapply(sets, function(x) {
  r <- list(
    data = lapply(seq_len(nrow(x)), function(i) x[i, ]),
    krippendorff_alpha = kalpha_nominal(x),
    pct_agreement = pct_all_agree(x),
    pct_agreement_pairwise = pct_pairwise(x)
  )
  if (nrow(x) == 2) r$cohen_kappa <- kappa_two(x)
  r
})

ref <- list(
  meta = list(
    r_version = R.version.string,
    psych_version = as.character(packageVersion("psych")),
    jsonlite_version = as.character(packageVersion("jsonlite")),
    script = "tests/reference/make_reference_agreement.R",
    seed = 20150501
  ),
  kalpha_check = list(
    source = "Krippendorff (2011), Computing Krippendorff's alpha-reliability, nominal example",
    published = 0.743,
    data = lapply(seq_len(nrow(k2011)), function(i) k2011[i, ]),
    computed = kalpha_nominal(k2011)
  ),
  sets = results
)
writeLines(toJSON(ref, auto_unbox = TRUE, digits = NA, na = "string", pretty = TRUE), out_file, useBytes = TRUE)
