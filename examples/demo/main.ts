// First: the OpenTelemetry SDK must be registered before the module's instruments are created.
import './telemetry.js';
import { bootstrap } from './bootstrap.js';
import { DemoModule } from './demo.module.js';

await bootstrap(DemoModule, 'Demo');
