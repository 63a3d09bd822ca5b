import { deltaChannelHistoryTests, validate } from '@langchain/langgraph-checkpoint-validation';
import { conformanceInitializer } from '../support/conformance-initializer.js';

// LangGraph's checkpoint contract, with data placed: mixed.
const initializer = conformanceInitializer('mixed');
validate(initializer);
deltaChannelHistoryTests(initializer);
