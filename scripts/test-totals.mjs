// Prints the suite's totals as one plain line from vitest's JSON report. A test file that failed
// to load counts as a failure, and so does any other failed CI step, so the line never hides a red build.
import { readFileSync } from 'node:fs';

const [file, failedSteps = '0'] = process.argv.slice(2);
let passed = 0;
let failed = 0;
let testsStepFailed = false;
try {
  const report = JSON.parse(readFileSync(file, 'utf8'));
  passed = report.numPassedTests ?? 0;
  failed = report.numFailedTests ?? 0;
  for (const suite of report.testResults ?? []) {
    const anyFailedTest = (suite.assertionResults ?? []).some((t) => t.status === 'failed');
    if (suite.status === 'failed' && !anyFailedTest) failed += 1;
  }
  testsStepFailed = failed > 0 || report.success === false;
} catch {
  failed = 1;
  testsStepFailed = true;
}
const otherStepFailures = Math.max(0, Number(failedSteps) - (testsStepFailed ? 1 : 0));
console.log(`${passed} passed, ${failed + otherStepFailures} failed`);
