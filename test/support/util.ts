// Small helpers shared by the API suites.

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `n` usernames `{prefix}0 … {prefix}{n-1}`. */
export const names = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
