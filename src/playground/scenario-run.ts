/** One narrated step of a scenario, as the side panel shows it. */
export interface ScenarioStep {
  title: string;
  detail: string;
  status: 'running' | 'done' | 'failed';
}

export interface ScenarioRunState {
  name: string;
  title: string;
  status: 'running' | 'done' | 'failed';
  steps: ScenarioStep[];
  /** What went wrong, as a sentence, when the run failed. */
  problem: string | null;
}

/** The narration of one run: steps are added as they start and marked when they end. */
export class ScenarioRun {
  readonly state: ScenarioRunState;

  constructor(
    name: string,
    title: string,
    private readonly onChange: () => void,
    private readonly paceMs: number,
  ) {
    this.state = { name, title, status: 'running', steps: [], problem: null };
  }

  async step<T>(title: string, detail: string, work: () => Promise<T>): Promise<T> {
    const step: ScenarioStep = { title, detail, status: 'running' };
    this.state.steps.push(step);
    this.onChange();
    try {
      const result = await work();
      step.status = 'done';
      return result;
    } catch (error) {
      step.status = 'failed';
      throw error;
    } finally {
      this.onChange();
      // A pause between steps, so a person can follow the channel as it changes.
      if (this.paceMs > 0) await new Promise((resolve) => setTimeout(resolve, this.paceMs));
    }
  }

  finish(problem: string | null): void {
    this.state.status = problem === null ? 'done' : 'failed';
    this.state.problem = problem;
    this.onChange();
  }
}
