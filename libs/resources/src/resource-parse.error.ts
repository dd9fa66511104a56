/**
 * Thrown by Resources.parse. Lists every problem in the text at once so an operator fixes an
 * agent's --resources flag in one go rather than one error per restart.
 */
export class ResourceParseError extends Error {
  readonly problems: string[];

  constructor(text: string, problems: readonly string[]) {
    super(`invalid resources '${text}': ${problems.join('; ')}`);
    this.name = 'ResourceParseError';
    this.problems = [...problems];
  }
}
