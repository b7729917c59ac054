import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './support/paths.js';
import { renderConfigurationReference, renderEnvExample } from '../scripts/settings-docs.js';
import { SETTINGS } from '../src/options/settings.js';

const root = ROOT;

describe('the files generated from the settings table (npm run docs:config)', () => {
  it('docs/configuration.md is what the table renders', () => {
    expect(readFileSync(join(root, 'docs/configuration.md'), 'utf8')).toBe(renderConfigurationReference());
  });

  it('.env.example is what the table renders', () => {
    expect(readFileSync(join(root, '.env.example'), 'utf8')).toBe(renderEnvExample());
  });

  it('the README links to the reference instead of keeping a table of its own', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(readme).toContain('](docs/configuration.md)');
    expect(readme).not.toMatch(/^\| `JWT_/m);
  });

  it('the reference and .env.example name every setting', () => {
    const reference = renderConfigurationReference();
    const example = renderEnvExample();
    for (const { env } of Object.values(SETTINGS)) {
      expect(reference).toContain(`\`${env}\``);
      expect(example).toMatch(new RegExp(`^(# )?${env}=`, 'm'));
    }
  });
});
