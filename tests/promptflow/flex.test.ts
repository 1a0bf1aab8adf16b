/**
 * Flex flows through the executor: a function flow with a flex evaluator, and a class flow whose
 * init.json secret comes from <PARENT>_<KEY> in the environment and never reaches our logs.
 */
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ConfigurationError } from '../../packages/core/src/errors.js';
import { LocalPromptflowExecutor } from '../../packages/core/src/promptflow/index.js';
import {
  describeWithPromptflow,
  examplesDir,
  flowAt,
  readJsonLines,
  recordingLogger,
  repoRoot,
  tempDir,
} from './support.js';

const functionExample = path.join(examplesDir, 'flex-flows', 'function-flow');
const classExample = path.join(examplesDir, 'flex-flows', 'class-flow');
const SEARCH_KEY = 'search-key-5e2d11aa';

describeWithPromptflow('flex flows', () => {
  let executor: LocalPromptflowExecutor;
  const log = recordingLogger();

  beforeAll(async () => {
    executor = await LocalPromptflowExecutor.start({
      outputDir: await tempDir('flex'),
      projectDir: repoRoot,
      log,
      env: { ...process.env, SEARCH_CONFIG_API_KEY: SEARCH_KEY },
    });
  });
  afterAll(async () => {
    await executor?.close();
  });

  test('function flow and its flex evaluator: __aggregate__ becomes the metrics', async () => {
    const data = path.join(functionExample, 'data', 'reviews.jsonl');
    const run = await executor.run({
      name: 'sentiment',
      flow: await flowAt(path.join(functionExample, 'flows', 'sentiment')),
      data,
      variants: {},
      columnMapping: { text: '${data.text}' },
    });
    expect(run).toMatchObject({ status: 'Completed', lines: { total: 12, completed: 12, failed: 0 } });
    expect((await readJsonLines(run.outputsPath))[0]).toEqual({ line_number: 0, sentiment: 'positive', score: 3 });

    const evaluation = await executor.run({
      name: 'sentiment_eval',
      flow: await flowAt(path.join(functionExample, 'flows', 'eval-sentiment')),
      data,
      variants: {},
      baseRun: 'sentiment',
      columnMapping: { groundtruth: '${data.sentiment}', prediction: '${run.outputs.sentiment}' },
    });
    expect(evaluation.status).toBe('Completed');
    expect(evaluation.metrics).toEqual({ accuracy: 0.9167 });
  });

  test('class flow gets init.json with its secret from SEARCH_CONFIG_API_KEY, and the evaluator scores it', async () => {
    const flow = await flowAt(path.join(classExample, 'flows', 'faq-bot'));
    expect(flow.kind).toBe('flex-class');
    const data = path.join(classExample, 'data', 'questions.jsonl');
    const run = await executor.run({
      name: 'faq',
      flow,
      data,
      variants: {},
      columnMapping: { question: '${data.question}' },
    });
    expect(run).toMatchObject({ status: 'Completed', lines: { total: 8, completed: 8, failed: 0 } });
    expect((await readJsonLines(run.outputsPath))[0]?.answer).toMatch(/^Hi! Use the Forgot password link/);

    const evaluation = await executor.run({
      name: 'faq_eval',
      flow: await flowAt(path.join(classExample, 'flows', 'eval-answer')),
      data,
      variants: {},
      baseRun: 'faq',
      columnMapping: { expected: '${data.expected}', answer: '${run.outputs.answer}' },
    });
    expect(evaluation.metrics).toEqual({ f1: 0.718, match_rate: 0.75 });

    // promptflow prints init kwargs in its run JSON: none of it may reach our log.
    expect(log.lines.join('\n')).not.toContain(SEARCH_KEY);
  });

  test('a class flow whose init secret is not in the environment is refused before promptflow starts', async () => {
    const bare = await LocalPromptflowExecutor.start({
      outputDir: await tempDir('flex-noenv'),
      projectDir: repoRoot,
      env: { PATH: process.env.PATH },
    });
    try {
      const refused = await bare
        .run({
          name: 'faq_without_key',
          flow: await flowAt(path.join(classExample, 'flows', 'faq-bot')),
          data: path.join(classExample, 'data', 'questions.jsonl'),
          variants: {},
          columnMapping: { question: '${data.question}' },
        })
        .catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(ConfigurationError);
      expect(String(refused)).toBe(
        `${path.join(classExample, 'flows', 'faq-bot', 'init.json')}:5:16: search_config.api_key: environment variable SEARCH_CONFIG_API_KEY is not set`,
      );
    } finally {
      await bare.close();
    }
  });
});
