/**
 * Typed errors of the configuration library. The message names each variable that is wrong
 * and what would be right, never its value (a value may be a secret).
 */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  /** One entry per problem: `VARIABLE: what is wrong`. */
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = new.target.name;
    this.problems = problems;
  }
}
