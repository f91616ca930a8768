export { simulateScenario, simulateFile, type SimulationOptions } from './simulate.js';
export { formatReportJson, formatReportTable, humanSeconds } from './format-report.js';
export { ScenarioFileError, loadScenarioFile, parseScenarioText } from './scenario-file.js';
export type { SimulationReport, WorkloadReport, ReportEvent, QueueReport, ReportMetrics } from './report.js';
export { VirtualClock, SIM_EPOCH_MS, epochMsAt, secondsOf, rfc3339 } from './virtual-clock.js';
export { EventQueue } from './event-queue.js';
export { MemoryRecorder, type RecordedEvent } from './memory-recorder.js';
export { SimExecutor, type JobRecord, type ExecutorTimer } from './sim-executor.js';
