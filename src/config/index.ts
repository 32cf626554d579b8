export { ConfigSchema, type Config } from './schema.js';
export { loadConfig, envName, projectPath, deadLetterTopic, featuresTopic, PROJECT_ROOT, DEFAULT_CONFIG_FILE, type LoadOptions } from './load.js';
