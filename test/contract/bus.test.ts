import { InProcessBus } from '../../src/adapters/bus/in-process/in-process-bus.js';
import { RecordingBus } from '../../src/app/ports/fakes/recording-bus.js';
import { busContract } from './bus-contract.js';

busContract('in-process', () => new InProcessBus());
busContract('recording fake', () => new RecordingBus());
