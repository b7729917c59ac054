import { bootstrap } from './bootstrap.js';
import { DemoModule } from './demo.module.js';

await bootstrap(DemoModule, 'Demo');
