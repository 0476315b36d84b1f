/** Names of the classical baselines (libs/imaging's `classicalBaselines` methods, the service's Baseline rows). */
export const BASELINE_LABELS: Record<string, string> = {
  input: 'input (noisy, blurred)',
  rl_oracle: 'Richardson–Lucy, best iteration on GT (oracle)',
  rl_discrepancy: 'Richardson–Lucy, discrepancy principle',
  wiener_oracle: 'Wiener, best balance on GT (oracle)',
  wiener_discrepancy: 'Wiener, discrepancy principle',
};
