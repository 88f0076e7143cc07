/**
 * The page's one web font: Noto Sans SC as a variable font (every weight in one set of
 * Unicode-range files), bundled from @fontsource-variable so nothing is fetched from outside.
 * One weight axis instead of a file set per weight halves the files a page of Chinese needs.
 * theme.css names the same family in `--font`.
 */
export const FONT_FAMILY = 'Noto Sans SC Variable';
