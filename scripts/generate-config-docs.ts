/** `npm run docs:config`: writes docs/configuration.md and .env.example from the settings table. */
import { writeFileSync } from 'node:fs';
import { renderConfigurationReference, renderEnvExample } from './settings-docs.js';

const root = new URL('../../../', import.meta.url);
writeFileSync(new URL('docs/configuration.md', root), renderConfigurationReference());
writeFileSync(new URL('.env.example', root), renderEnvExample());
