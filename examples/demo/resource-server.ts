import { bootstrap } from './bootstrap.js';
import { ResourceServerModule } from './resource-server.module.js';

await bootstrap(ResourceServerModule, 'ResourceServer');
