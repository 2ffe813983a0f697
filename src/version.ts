/** The package version, and the generator version that pins how variants are drawn. */
export const version = '0.1.0';
