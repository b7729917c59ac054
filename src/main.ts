import { bootstrap } from './demo/bootstrap.js';
import { DemoModule } from './demo/demo.module.js';

await bootstrap(DemoModule, 'Demo');
