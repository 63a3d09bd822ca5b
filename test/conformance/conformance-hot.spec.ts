import { deltaChannelHistoryTests, validate } from '@langchain/langgraph-checkpoint-validation';
import { conformanceInitializer } from '../support/conformance-initializer.js';

// LangGraph's checkpoint contract, with data placed: hot.
const initializer = conformanceInitializer('hot');
validate(initializer);
deltaChannelHistoryTests(initializer);
