import { deltaChannelHistoryTests, validate } from '@langchain/langgraph-checkpoint-validation';
import { conformanceInitializer } from '../support/conformance-initializer.js';

// LangGraph's checkpoint contract, with data placed: cold.
const initializer = conformanceInitializer('cold');
validate(initializer);
deltaChannelHistoryTests(initializer);
