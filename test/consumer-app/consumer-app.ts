import { Body, Controller, Get, Inject, Injectable, Module, Param, Post, type DynamicModule } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { ScheduleModule } from '@nestjs/schedule';
import { Annotation, END, START, StateGraph } from '@langchain/langgraph';
import type { Cluster, Redis } from 'ioredis';
import { InjectCheckpointer, TieredCheckpointModule, TieredCheckpointSaver, type PrismaLikeClient } from '../../src/index.js';

/**
 * A small consumer app, written the way a user of the library would: it imports the module
 * with `forRootAsync` from its own `ConfigService`, injects the saver into its own service and
 * runs a LangGraph graph per HTTP request. Not part of the library.
 */

const ChatState = Annotation.Root({
  turns: Annotation<string[]>({ reducer: (a, b) => [...a, ...b], default: () => [] }),
  count: Annotation<number>({ reducer: (_a, b) => b, default: () => 0 }),
});

function buildGraph() {
  return new StateGraph(ChatState)
    .addNode('listen', (s) => ({ count: s.count + 1 }))
    .addNode('reply', (s) => ({ turns: [`reply #${s.count} to "${s.turns[s.turns.length - 1]}"`] }))
    .addEdge(START, 'listen')
    .addEdge('listen', 'reply')
    .addEdge('reply', END);
}

@Injectable()
export class ChatService {
  private readonly graph;
  constructor(@InjectCheckpointer() readonly saver: TieredCheckpointSaver) {
    this.graph = buildGraph().compile({ checkpointer: saver });
  }
  async say(threadId: string, text: string): Promise<{ turns: string[]; count: number }> {
    return this.graph.invoke({ turns: [text] }, { configurable: { thread_id: threadId } });
  }
  async history(threadId: string): Promise<number> {
    let n = 0;
    for await (const _ of this.graph.getStateHistory({ configurable: { thread_id: threadId } })) n += 1;
    return n;
  }
}

@Controller('threads')
export class ChatController {
  constructor(@Inject(ChatService) private readonly chat: ChatService) {}
  @Post(':id/messages')
  say(@Param('id') id: string, @Body() body: { text: string }) {
    return this.chat.say(id, body.text);
  }
  @Get(':id/history')
  async history(@Param('id') id: string) {
    return { checkpoints: await this.chat.history(id) };
  }
}

/** Either URLs from config, or clients the app owns and passes in. */
export interface ConsumerAppOptions {
  env: Record<string, string>;
  clients?: { redis: Redis | Cluster; prisma: PrismaLikeClient };
}

@Module({})
export class ConsumerAppModule {
  static forRoot({ env, clients }: ConsumerAppOptions): DynamicModule {
    return {
      module: ConsumerAppModule,
      imports: [
        ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => env] }),
        ScheduleModule.forRoot(),
        TieredCheckpointModule.forRootAsync({
          imports: [ConfigModule],
          inject: [ConfigService],
          useFactory: (config: ConfigService) => ({
            ...(clients ? { redis: clients.redis, prisma: clients.prisma } : { redisUrl: config.getOrThrow<string>('REDIS_URL'), databaseUrl: config.getOrThrow<string>('DATABASE_URL') }),
            schema: config.getOrThrow<string>('CHECKPOINT_SCHEMA'),
            keyPrefix: config.getOrThrow<string>('REDIS_KEY_PREFIX'),
          }),
        }),
      ],
      controllers: [ChatController],
      providers: [ChatService],
    };
  }
}
