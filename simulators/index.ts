/**
 * Device simulators: real Modbus TCP servers that serve a profile's register map with seeded
 * noise, daily cycles, totalisers, drift and scriptable faults. `metronet simulate` and the
 * tests need only `startSimulator`.
 */
export { startSimulator, type FaultConfig, type SimulatorHandle, type SimulatorOptions } from './simulator.js';
export type { DriftConfig, PointSim } from './values.js';
export { quantise, withPointSims } from './values.js';
export { mulberry32, gaussian } from './random.js';
export { startPtyPair, type PtyPair } from './pty.js';
export { startRtuBus, type RtuBusHandle, type RtuFaults, type RtuSlaveSpec } from './rtu-slave.js';
export { startSerialScale, type SerialScaleHandle, type ScaleFaults } from './serial-scale.js';
export { formatFrame, type ScaleState } from './scale-formats.js';
export { startCheckweigher, type CheckweigherHandle, type CheckweigherLine, type CheckweigherOptions, type PackageRecord } from './checkweigher.js';
export { startStationCycle, type StationCycle, type StationCycleOptions, type CalibrationGas } from './station-cycle.js';
