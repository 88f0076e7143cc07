/** The seed of the demo city the tests run against. */
export const TEST_SEED = 20260101;
