/** Schedules of training: β of the KL warm-up and the learning rate. */

/** β(step): 0 for the first holdFraction·T steps (against early posterior collapse), then linear to 1 over rampFraction·T. */
export function klBeta(step: number, totalSteps: number, holdFraction: number, rampFraction: number): number {
  const holdSteps = holdFraction * totalSteps;
  if (step < holdSteps) return 0;
  const rampSteps = rampFraction * totalSteps;
  return rampSteps <= 0 ? 1 : Math.min(1, (step - holdSteps) / rampSteps);
}

/** Step from which β = 1 (collapse detection and plateau tracking start there). */
export function warmupEndStep(totalSteps: number, holdFraction: number, rampFraction: number): number {
  return Math.ceil((holdFraction + rampFraction) * totalSteps);
}

export type LrScheduleName = 'plateau' | 'cosine' | 'constant';

/** Reduce-on-plateau over windows of steps (a window plays the role of an epoch), serialisable. */
export interface PlateauState {
  learningRate: number;
  best: number;
  badWindows: number;
  windowSum: number;
  windowCount: number;
}

export interface PlateauSettings {
  readonly windowSteps: number;
  readonly patience: number;
  readonly factor: number;
  readonly minLearningRate: number;
  /** Relative improvement that counts as better (PyTorch's threshold, mode 'rel'). */
  readonly threshold: number;
}

export const PLATEAU_DEFAULTS: PlateauSettings = { windowSteps: 100, patience: 10, factor: 0.5, minLearningRate: 1e-6, threshold: 1e-4 };

export function plateauStart(learningRate: number): PlateauState {
  return { learningRate, best: Number.MAX_VALUE, badWindows: 0, windowSum: 0, windowCount: 0 }; // not Infinity: JSON has none
}

/** Adds one step's loss; at the end of each window compares its mean with the best and may cut the rate. */
export function plateauUpdate(state: PlateauState, loss: number, settings: PlateauSettings = PLATEAU_DEFAULTS): PlateauState {
  const next = { ...state, windowSum: state.windowSum + loss, windowCount: state.windowCount + 1 };
  if (next.windowCount < settings.windowSteps) return next;
  const mean = next.windowSum / next.windowCount;
  next.windowSum = 0;
  next.windowCount = 0;
  if (mean < next.best * (1 - Math.sign(next.best) * settings.threshold)) {
    next.best = mean;
    next.badWindows = 0;
  } else if (++next.badWindows > settings.patience) {
    next.learningRate = Math.max(settings.minLearningRate, next.learningRate * settings.factor);
    next.badWindows = 0;
  }
  return next;
}

/** lr(step) = lr₀·½(1 + cos(π·step/T)), never below minLearningRate. */
export function cosineLearningRate(initial: number, step: number, totalSteps: number, minLearningRate = 1e-6): number {
  return Math.max(minLearningRate, 0.5 * initial * (1 + Math.cos((Math.PI * Math.min(step, totalSteps)) / totalSteps)));
}
